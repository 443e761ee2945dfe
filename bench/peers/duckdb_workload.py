"""The standard workload in DuckDB SQL (all fields read as VARCHAR)."""
import sys, os
import duckdb
from common import SENR, SINF, DEMOGRAPHICS

data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
con = duckdb.connect()
def read(name, columns):
    cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in columns) + "}"
    return f"read_csv('{data}/{name}.txt', delim='^', header=false, quote='', escape='', columns={cols})"
con.execute(f"CREATE TABLE senr AS SELECT * FROM {read('SENR', SENR)}")
con.execute(f"CREATE TABLE sinf AS SELECT * FROM {read('SINF', SINF)}")
con.execute("CREATE TABLE prim AS SELECT * FROM senr WHERE EnrollmentStatusCode = '10' AND EnrollmentSchoolExitDate IS NULL")
demo = ", ".join(f"d.{c}" for c in DEMOGRAPHICS[1:])
con.execute(f"COPY (SELECT SchoolOfAttendance, GradeLevelCode, count(*) AS students FROM prim GROUP BY ALL ORDER BY ALL) TO '{out}/counts.csv' (HEADER)")
con.execute(f"COPY (SELECT DISTINCT SSID FROM prim p WHERE NOT EXISTS (SELECT 1 FROM sinf s WHERE s.SSID = p.SSID) ORDER BY SSID) TO '{out}/missing.csv' (HEADER)")
con.execute(f"COPY (SELECT SSID FROM prim GROUP BY SSID HAVING count(*) > 1 ORDER BY SSID) TO '{out}/duplicates.csv' (HEADER)")
con.execute(f"COPY (SELECT p.*, {demo} FROM prim p JOIN sinf d ON p.SSID = d.SSID) TO '{out}/joined.csv' (HEADER)")
