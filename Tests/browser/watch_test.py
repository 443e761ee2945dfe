#!/usr/bin/env python3
"""`tally watch` in a real headless browser (Debian's Chromium through Selenium): the page picks
up a saved edit within a second without reloading and keeps its scroll position, shows a syntax
error at its line above the last good results, and pages, sorts and filters all rows of a
100k-row table from the server. Usage: watch_test.py TALLY_BINARY"""
import os, random, shutil, subprocess, sys, tempfile, time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser import chromium, start_watch

tally = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="tally-watch-test-")
random.seed(7)
grades = []
with open(os.path.join(work, "students.csv"), "w") as f:
    f.write("SSID,School,Grade,Program\n")
    for i in range(100_000):
        g = random.choice(["KN", "01", "02", "03"])
        grades.append(g)
        f.write(f"{1000000000 + i},{6000001 + i % 40},{g},{random.choice(['No', 'No ', 'Yes'])}\n")
playbook = os.path.join(work, "w.playbook")
base = """playbook "Watch test"
load students from "students.csv" with columns (School: text)
kn = students | filter Grade == "KN"
counts = students | aggregate n = count() by School
""" + "".join(f"\n## Section {k}\nshow counts limit 40\n" for k in range(6))
with open(playbook, "w") as f:
    f.write(base)

server, port = start_watch(tally, "w.playbook", work)
failures = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)

driver = chromium()
try:
    driver.get(f"http://127.0.0.1:{port}/")
    wait = WebDriverWait(driver, 10)
    wait.until(lambda d: d.find_elements(By.ID, "tally-watch"))
    check("Watch test" in driver.title, "the notebook page is served")
    driver.execute_script("window.__sameDocument = 'yes'; window.scrollTo(0, 600);")
    time.sleep(0.3)
    y = driver.execute_script("return window.scrollY")
    check(y > 300, f"the page scrolls (y = {y})")

    # A saved edit: the page updates itself, without a reload, within a second.
    before = driver.execute_script("return document.body.dataset.updates || '0'")
    saved = time.time()
    with open(playbook, "a") as f:
        f.write('\nshow kn columns SSID, Grade where School == "6000007" limit 4\n')
    WebDriverWait(driver, 5, poll_frequency=0.02).until(
        lambda d: d.execute_script("return document.body.dataset.updates || '0'") != before)
    elapsed = time.time() - saved
    check(elapsed < 1.0, f"the page shows the edit {elapsed:.2f} s after it was saved")
    check("School == &quot;6000007&quot;" in driver.page_source or 'School == "6000007"' in driver.page_source, "the new cell is on the page")
    check(driver.execute_script("return window.__sameDocument") == "yes", "the page was not reloaded")
    y2 = driver.execute_script("return window.scrollY")
    check(abs(y2 - y) < 5, f"the scroll position is kept ({y} → {y2})")

    # A syntax error: shown at its line, the last good results still below it.
    with open(playbook, "a") as f:
        f.write("show kn limit (\n")
    wait.until(lambda d: d.find_elements(By.ID, "tally-error"))
    error = driver.find_element(By.ID, "tally-error").text
    lines = base.count("\n") + 3
    check(f"w.playbook:{lines}:" in error and "never closed" in error, f"the error names its line: {error.splitlines()[1] if len(error.splitlines()) > 1 else error}")
    check("Section 5" in driver.page_source, "the last good results stay visible")
    with open(playbook, "w") as f:
        f.write(base)
    wait.until(lambda d: not d.find_elements(By.ID, "tally-error"))
    check(True, "the error goes away once fixed")

    # A table in full: every one of 100,000 rows, page by page, from the server.
    driver.get(f"http://127.0.0.1:{port}/view?table=students")
    wait.until(lambda d: d.execute_script("return document.body.dataset.loaded") == "1")
    Select(driver.find_element(By.ID, "limit")).select_by_visible_text("10000")
    loads = 1
    driver.find_element(By.ID, "apply").click()
    loads += 1
    wait.until(lambda d: d.execute_script("return document.body.dataset.loaded") == str(loads))
    seen = set()
    for page in range(10):
        cells = driver.execute_script("return Array.from(document.querySelectorAll('#grid tbody tr')).map(r => r.cells[0].textContent)")
        seen.update(cells)
        if page < 9:
            driver.find_element(By.ID, "next").click()
            loads += 1
            wait.until(lambda d: d.execute_script("return document.body.dataset.loaded") == str(loads))
    check(len(seen) == 100_000, f"paging shows all {len(seen):,} distinct rows")
    check("rows 90001–100000 of 100000" in driver.find_element(By.ID, "status").text, "the last page says rows 90001–100000")

    # Sorted by a column (twice: descending), then filtered with a condition.
    header = driver.find_elements(By.CSS_SELECTOR, "#grid th")[0]
    header.click(); loads += 1
    wait.until(lambda d: d.execute_script("return document.body.dataset.loaded") == str(loads))
    driver.find_elements(By.CSS_SELECTOR, "#grid th")[0].click(); loads += 1
    wait.until(lambda d: d.execute_script("return document.body.dataset.loaded") == str(loads))
    first = driver.execute_script("return document.querySelector('#grid tbody tr').cells[0].textContent")
    check(first == "1000099999", f"sorted descending by SSID, the first row is {first}")
    box = driver.find_element(By.ID, "filter")
    box.clear(); box.send_keys('Grade == "KN"')
    driver.find_element(By.ID, "apply").click(); loads += 1
    wait.until(lambda d: d.execute_script("return document.body.dataset.loaded") == str(loads))
    total = driver.execute_script("return document.body.dataset.total")
    check(total == str(grades.count("KN")), f"the filter keeps {total} rows (expected {grades.count('KN')})")
    box.clear(); box.send_keys('Grade = "KN"')
    driver.find_element(By.ID, "apply").click(); loads += 1
    wait.until(lambda d: d.execute_script("return document.body.dataset.loaded") == str(loads))
    check(driver.find_element(By.ID, "error").text != "", "a condition that is not valid shows its error: " + driver.find_element(By.ID, "error").text)
finally:
    driver.quit()
    server.terminate()
    try:
        log = server.communicate(timeout=5)[0]
    except subprocess.TimeoutExpired:
        server.kill()
        log = server.communicate()[0]
    print("--- tally watch said:\n" + log)
    shutil.rmtree(work, ignore_errors=True)

if failures:
    print(f"{len(failures)} browser check(s) failed")
    sys.exit(1)
print("browser checks passed")
