#!/usr/bin/env python3
"""A report that cannot hurt its reader, checked in a real headless browser (Debian's Chromium
through Selenium). A playbook puts <script>, "><img onerror=...> and javascript: links into every
place a report shows text: values, column names, the title, a parameter, a check's message,
narrative (Markdown, which allows raw HTML), an export's path and the live notebook page. The
rendered DOM must have no <script>, no on... handler and no javascript: address, no alert may
fire, and the hostile text must still be there, shown as text. Usage: escaping_test.py TALLY"""
import os, shutil, subprocess, sys, tempfile, time

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium, start_watch

tally = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="tally-escaping-test-")
SCRIPT = "<script>alert('value')</script>"
IMG = '"><img src=x onerror=alert(2)>'
JS = "javascript:alert(3)"
with open(os.path.join(work, "students.csv"), "w") as f:
    # A hostile column name and hostile values (quoted CSV fields).
    f.write('SSID,School,"<img src=x onerror=alert(4)>"\n')
    f.write(f'1000000001,"{SCRIPT}",a\n')
    f.write(f'1000000002,"{IMG.replace(chr(34), chr(34) * 2)}",b\n')
    f.write(f"1000000003,{JS},c\n")
    f.write(f'1000000003,"<a href=""javascript:alert(5)"">x</a>",d\n')
with open(os.path.join(work, "e.playbook"), "w") as f:
    f.write("""## Introduction <script>alert('intro')</script> and <img src=x onerror=alert(6)>
## with [a link](javascript:alert(7)) and [another](JaVaScRiPt:alert(8)) and ![an image](javascript:alert(9))
## and `<script>alert('code')</script>` and \\`<script>alert('escaped')</script>\\`

playbook "Title <script>alert('title')</script>"
param school: text = "\\"><img src=x onerror=alert(10)>"

## Narrative <iframe src="javascript:alert(11)"></iframe> <svg onload=alert(12)>
load students from "students.csv" with columns (SSID: text)
by_school = students | aggregate n = count() by School
assert students unique by SSID message "<img src=x onerror=alert(13)> duplicate"
assert count(students) == 0 severity warning message "<script>alert('warning')</script>"
show students
export by_school to "out/<img src=x onerror=alert(14)>.csv"
""")

run = subprocess.run([tally, "run", "e.playbook", "--no-store", "--report", "report"], cwd=work,
                     capture_output=True, text=True)
if run.returncode != 1:
    raise SystemExit(f"tally run exited {run.returncode}, expected 1 (a failed check):\n{run.stdout}\n{run.stderr}")

failures = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)

FIND = """
const bad = [];
for (const el of document.querySelectorAll('*')) {
  // The report has no script of its own; the live page has its own, which never calls alert.
  if (el.tagName.toLowerCase() === 'script' && (!arguments[0] || el.src || el.textContent.includes('alert(')))
    bad.push('a <script> element: ' + el.outerHTML.slice(0, 80));
  if (['iframe', 'object', 'embed'].includes(el.tagName.toLowerCase())) bad.push('an <' + el.tagName + '> element');
  for (const a of el.attributes) {
    const name = a.name.toLowerCase(), value = a.value.replace(/[\\s\\x00-\\x1f]/g, '').toLowerCase();
    if (name.startsWith('on')) bad.push(el.tagName + ' has handler ' + name + '=' + a.value);
    if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(name) && value.startsWith('javascript:'))
      bad.push(el.tagName + ' has ' + name + '=' + a.value);
  }
}
return bad;
"""

def inspect(driver, where, texts, own_scripts=False):
    try:
        alert = driver.switch_to.alert
        check(False, f"{where}: an alert fired ({alert.text})")
        alert.dismiss()
    except NoAlertPresentException:
        check(True, f"{where}: no alert fired")
    bad = driver.execute_script(FIND, own_scripts)
    check(not bad, f"{where}: no script, handler or javascript: address in the DOM" + (f" — found {bad[:5]}" if bad else ""))
    shown = driver.execute_script("return document.body.innerText")
    for text in texts:
        check(text in shown, f"{where}: {text!r} is shown as text")

driver = chromium()
server = None
try:
    driver.get("file://" + os.path.join(work, "report", "report.html"))
    # Open every collapsed part, so failing rows are in the DOM's text too.
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    time.sleep(0.5)
    inspect(driver, "HTML report", [
        SCRIPT, "onerror=alert(2)", JS, "<img src=x onerror=alert(4)>", "Title <script>alert('title')</script>",
        "<img src=x onerror=alert(13)> duplicate", "<script>alert('intro')</script>", "<svg onload=alert(12)>",
        "<img src=x onerror=alert(14)>.csv", "<img src=x onerror=alert(10)>",
    ])
    links = driver.execute_script("return Array.from(document.querySelectorAll('a')).filter(a => a.textContent === 'a link' || a.textContent === 'another').map(a => a.getAttribute('href'))")
    check(links == ["#", "#"], f"narrative links to javascript: point nowhere ({links})")

    # The live notebook renders the same cells.
    server, port = start_watch(tally, "e.playbook", work)
    driver.get(f"http://127.0.0.1:{port}/")
    WebDriverWait(driver, 20).until(lambda d: "Title" in d.title)
    time.sleep(1)
    inspect(driver, "live notebook", [SCRIPT, "<img src=x onerror=alert(13)> duplicate", "<script>alert('intro')</script>"], own_scripts=True)
finally:
    driver.quit()
    if server:
        # The page's event stream was open: a stop must not wait for it forever.
        server.terminate()
        try:
            server.communicate(timeout=10)
            check(True, "tally watch stopped on SIGTERM after a page had its event stream open")
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            check(False, "tally watch did not stop within 10 s of SIGTERM")
    shutil.rmtree(work, ignore_errors=True)

if failures:
    raise SystemExit(f"{len(failures)} escaping check(s) failed")
print("escaping: every hostile value, name, title, parameter, message, narrative line and path was shown as text")
