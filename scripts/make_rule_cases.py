#!/usr/bin/env python3
"""Writes one golden case per CALPADS rule under Tests/GoldenTests/Cases/rules/: a valid record
of the file type with one change that breaks the rule. Record the expected output with
UPDATE_GOLDENS=1 swift test and check that each case's output names its rule."""
import os, re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = open(os.path.join(ROOT, "Sources/TallyData/LayoutData.swift"), encoding="utf-8").read()
CASES = os.path.join(ROOT, "Tests/GoldenTests/Cases/rules")

def fields(t, year=2023):
    out = []
    for line in DATA.splitlines():
        c = line.split("\t")
        if len(c) == 9 and c[0] == t and int(c[1]) <= year <= int(c[2]):
            out.append(c[4])
    return out

BASE = {
    "SENR": dict(RecordTypeCode="SENR", ReportingLEA="0161119", SchoolOfAttendance="0112345", AcademicYearID="2024-2025",
                 SSID="1000000001", LocalStudentID="100001", StudentLegalFirstName="Ana", StudentLegalLastName="Lee",
                 StudentBirthDate="20150301", StudentGenderCode="F", StudentBirthCountryCode="US",
                 EnrollmentSchoolStartDate="20240814", EnrollmentStatusCode="10", GradeLevelCode="04"),
    "SINF": dict(RecordTypeCode="SINF", EffectiveStartDate="20240814", ReportingLEA="0161119", SchoolOfAttendance="0112345",
                 AcademicYearID="2024-2025", SSID="1000000001", LocalStudentID="100001", StudentLegalFirstName="Ana",
                 StudentLegalLastName="Lee", StudentBirthDate="20150301", StudentGenderCode="F", StudentBirthCountryCode="US",
                 StudentRace1Code="700", AddressZipCode="95814"),
    "SPRG": dict(RecordTypeCode="SPRG", ReportingLEA="0161119", SchoolOfAttendance="0112345", AcademicYearID="2024-2025",
                 SSID="1000000001", LocalStudentID="100001", StudentLegalFirstName="Ana", StudentLegalLastName="Lee",
                 StudentBirthDate="20150301", StudentGenderCode="F", EducationProgramCode="181",
                 EducationProgramMembershipStartDate="20240814"),
    "SELA": dict(RecordTypeCode="SELA", ReportingLEA="0161119", SchoolOfAttendance="0112345", AcademicYearID="2024-2025",
                 SSID="1000000001", StudentLegalFirstName="Ana", StudentLegalLastName="Lee", StudentBirthDate="20150301",
                 StudentGenderCode="F", LocalStudentID="100001", EnglishAcquisitionStatusCode="EO", PrimaryLanguageCode="eng"),
}

def record(t, **changes):
    values = dict(BASE[t]); values.update(changes)
    return "^".join(values.get(f, "") for f in fields(t)) + "\r\n"

def second(t, **changes):
    values = dict(BASE[t]); values.update(changes)
    return values

# (rule, file type, records, with sinf?)
S = "SENR"
cases = [
    ("GEN-REQUIRED", S, [record(S, LocalStudentID="")]),
    ("GEN-MAX-LENGTH", S, [record(S, StudentLegalFirstName="A" * 31)]),
    ("GEN-DATE", S, [record(S, EnrollmentSchoolStartDate="20240231")]),
    ("GEN-SSID", S, [record(S, SSID="10000001")]),
    ("GEN-ACADEMIC-YEAR", S, [record(S, AcademicYearID="2024-2026")]),
    ("GEN-TRANSACTION-TYPE", S, [record(S, TransactionTypeCode="X")]),
    ("GEN-LEA-CODE", S, [record(S, ReportingLEA="16111")]),
    ("GEN-SCHOOL-CODE", S, [record(S, SchoolOfAttendance="11234A")]),
    ("GEN-GENDER", S, [record(S, StudentGenderCode="Q")]),
    ("GEN-INDICATOR", S, [record(S, StudentSealOfBiliteracyIndicator="Z")]),
    ("GEN-BIRTH-DATE", S, [record(S, StudentBirthDate="20250101")]),
    ("GEN-COUNTRY-CODE", S, [record(S, StudentBirthCountryCode="U1")]),
    ("SENR-GRADE", S, [record(S, GradeLevelCode="K")]),
    ("SENR-STATUS", S, [record(S, EnrollmentStatusCode="60"), record(S, SSID="1000000002", EnrollmentStatusCode="40")]),
    ("SENR-EXIT-REASON", S, [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T999")]),
    ("SENR-COMPLETION-CODE", S, [record(S, GradeLevelCode="12", StudentBirthDate="20070301", EnrollmentSchoolExitDate="20250605", StudentExitReasonCode="E230", StudentSchoolCompletionStatus="999")]),
    ("SENR-EXIT-NO-REASON", S, [record(S, EnrollmentSchoolExitDate="20241015")]),
    ("SENR-REASON-NO-EXIT", S, [record(S, StudentExitReasonCode="T160")]),
    ("SENR-EXIT-BEFORE-START", S, [record(S, EnrollmentSchoolExitDate="20240801", StudentExitReasonCode="T160"),
                                     record(S, SSID="1000000002", EnrollmentSchoolExitDate="20240813", StudentExitReasonCode="N470")]),
    ("SENR-START-OUTSIDE-YEAR", S, [record(S, AcademicYearID="2025-2026", EnrollmentSchoolStartDate="20260801")]),
    ("SENR-EXIT-REASON-GRADE", S, [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="E125")]),
    ("SENR-COMPLETION-GRADE", S, [record(S, GradeLevelCode="05", EnrollmentSchoolExitDate="20250605", StudentExitReasonCode="E230", StudentSchoolCompletionStatus="100", StudentBirthDate="20140301", GraduationExemptionIndicator="N")]),
    ("SENR-EXIT-CATEGORY-COMPLETION", S, [record(S, GradeLevelCode="12", StudentBirthDate="20070301", EnrollmentSchoolExitDate="20250605", StudentExitReasonCode="E230", StudentSchoolCompletionStatus="104")]),
    ("SENR-COMPLETER-NO-STATUS", S, [record(S, GradeLevelCode="12", StudentBirthDate="20070301", EnrollmentSchoolExitDate="20250605", StudentExitReasonCode="E230")]),
    ("SENR-STATUS-NOT-COMPLETER", S, [record(S, GradeLevelCode="12", StudentBirthDate="20070301", EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160", StudentSchoolCompletionStatus="100")]),
    ("SENR-OVERLAP", S, [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160"), record(S, EnrollmentSchoolStartDate="20241001")]),
    ("SENR-MULTIPLE-PRIMARY", S, [record(S), record(S, SchoolOfAttendance="6001734", EnrollmentSchoolStartDate="20240901")]),
    ("SENR-DUPLICATE", S, [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160"), record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160")]),
    ("SENR-NO-SINF", S, [record(S), record(S, SSID="1000000002")]),
    ("SENR-AGE-GRADE", S, [record(S, StudentBirthDate="20210301")]),
    ("SINF-RACE", "SINF", [record("SINF", StudentRace1Code="200")]),
    ("SINF-ZIP", "SINF", [record("SINF", AddressZipCode="9581")]),
    ("SINF-EFFECTIVE-DATES", "SINF", [record("SINF", EffectiveEndDate="20240801")]),
    ("SPRG-PROGRAM", "SPRG", [record("SPRG", EducationProgramCode="999")]),
    ("SPRG-MEMBERSHIP", "SPRG", [record("SPRG", EducationProgramMembershipCode="3")]),
    ("SPRG-END-BEFORE-START", "SPRG", [record("SPRG", EducationProgramMembershipEndDate="20240801")]),
    ("SELA-STATUS", "SELA", [record("SELA", EnglishAcquisitionStatusCode="ELL")]),
    ("SELA-LANGUAGE", "SELA", [record("SELA", PrimaryLanguageCode="EN")]),
]
# Rules under CALPADS IDs with a near miss each: NAME fires on its record, NAME-ok holds records
# one change away that must not fire.
GRAD = dict(GradeLevelCode="12", StudentBirthDate="20070301", EnrollmentSchoolExitDate="20250605")
PRESCHOOL = dict(AcademicYearID="2025-2026", EnrollmentSchoolStartDate="20250815", GradeLevelCode="PS", EnrollmentStatusCode="50")
pairs = [
    ("SENR0175", [record(S, **GRAD, StudentExitReasonCode="E155", StudentSchoolCompletionStatus="100")],
                 [record(S, **GRAD, StudentExitReasonCode="E230", StudentSchoolCompletionStatus="100", GraduationExemptionIndicator="N")]),
    ("SENR0302", [record(S, EnrollmentStatusCode="20", EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160")],
                 [record(S, EnrollmentStatusCode="20", EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="E170"),
                  record(S, SSID="1000000002", EnrollmentStatusCode="20")]),
    ("SENR0630", [record(S, GraduationExemptionIndicator="Y")],
                 [record(S, **GRAD, StudentExitReasonCode="E230", StudentSchoolCompletionStatus="100", GraduationExemptionIndicator="Y")]),
    ("SENR0632", [record(S, **GRAD, StudentExitReasonCode="E230", StudentSchoolCompletionStatus="100")],
                 [record(S, **GRAD, StudentExitReasonCode="E230", StudentSchoolCompletionStatus="100", GraduationExemptionIndicator="N")]),
    ("SENR0731F1", [record(S, **PRESCHOOL, StudentBirthDate="20230101")],
                   [record(S, **PRESCHOOL, StudentBirthDate="20220101"),
                    record(S, **dict(PRESCHOOL, EnrollmentStatusCode="10"), SSID="1000000002", StudentBirthDate="20230101"),
                    record(S, **dict(PRESCHOOL, AcademicYearID="2024-2025", EnrollmentSchoolStartDate="20240815"), SSID="1000000003", StudentBirthDate="20220101",
                           EnrollmentSchoolExitDate="20250613", StudentExitReasonCode="E170")]),
]
for rule, firing, clean in pairs:
    cases.append((rule, S, firing))
    cases.append((rule + "-OK", S, clean))
# A near miss for each of the rules above: one change away from breaking it, which must not fire.
GRADUATE = dict(GradeLevelCode="12", StudentBirthDate="20070301", EnrollmentSchoolExitDate="20250605", StudentExitReasonCode="E230",
                StudentSchoolCompletionStatus="100", GraduationExemptionIndicator="N")
near_miss = {
    "GEN-REQUIRED": [record(S)],
    "GEN-MAX-LENGTH": [record(S, StudentLegalFirstName="A" * 30)],
    "GEN-DATE": [record(S, AcademicYearID="2023-2024", EnrollmentSchoolStartDate="20240229", GradeLevelCode="03")],
    "GEN-SSID": [record(S, SSID="1000000009")],
    "GEN-ACADEMIC-YEAR": [record(S, AcademicYearID="2024-2025")],
    "GEN-TRANSACTION-TYPE": [record(S, TransactionTypeCode="R")],
    "GEN-LEA-CODE": [record(S, ReportingLEA="0161119")],
    "GEN-SCHOOL-CODE": [record(S, SchoolOfAttendance="0112345")],
    "GEN-GENDER": [record(S, StudentGenderCode="X")],
    "GEN-INDICATOR": [record(S, StudentSealOfBiliteracyIndicator="N")],
    "GEN-BIRTH-DATE": [record(S, StudentBirthDate="20150301")],
    "GEN-COUNTRY-CODE": [record(S, StudentBirthCountryCode="MX")],
    "SENR-GRADE": [record(S, GradeLevelCode="KN", StudentBirthDate="20190301")],
    "SENR-STATUS": [record(S, EnrollmentStatusCode="30"), record(S, SSID="1000000002", EnrollmentStatusCode="50"),
                    record(S, SSID="1000000003", AcademicYearID="2018-2019", EnrollmentSchoolStartDate="20180814", EnrollmentStatusCode="40", StudentBirthDate="20090301")],
    "SENR-EXIT-REASON": [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160")],
    "SENR-COMPLETION-CODE": [record(S, **GRADUATE)],
    "SENR-EXIT-NO-REASON": [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160")],
    "SENR-REASON-NO-EXIT": [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160")],
    "SENR-EXIT-BEFORE-START": [record(S, EnrollmentSchoolExitDate="20240814", StudentExitReasonCode="T160"),
                               record(S, SSID="1000000002", EnrollmentSchoolExitDate="20240813", StudentExitReasonCode="N470")],
    "SENR-START-OUTSIDE-YEAR": [record(S, AcademicYearID="2025-2026", EnrollmentSchoolStartDate="20260630"),
                                record(S, SSID="1000000002", EnrollmentSchoolStartDate="20250801")],
    "SENR-EXIT-REASON-GRADE": [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160")],
    "SENR-COMPLETION-GRADE": [record(S, **GRADUATE)],
    "SENR-EXIT-CATEGORY-COMPLETION": [record(S, **GRADUATE)],
    "SENR-COMPLETER-NO-STATUS": [record(S, **GRADUATE)],
    "SENR-STATUS-NOT-COMPLETER": [record(S, GradeLevelCode="12", StudentBirthDate="20070301", EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160")],
    "SENR-OVERLAP": [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160"), record(S, EnrollmentSchoolStartDate="20241016")],
    "SENR-MULTIPLE-PRIMARY": [record(S), record(S, SchoolOfAttendance="6001734", EnrollmentSchoolStartDate="20240901", EnrollmentStatusCode="20")],
    "SENR-DUPLICATE": [record(S, EnrollmentSchoolExitDate="20241015", StudentExitReasonCode="T160"), record(S, EnrollmentSchoolStartDate="20241101")],
    "SENR-NO-SINF": [record(S)],
    "SENR-AGE-GRADE": [record(S, StudentBirthDate="20150301")],
    "SINF-RACE": [record("SINF", StudentRace1Code="201")],
    "SINF-ZIP": [record("SINF", AddressZipCode="95814")],
    "SINF-EFFECTIVE-DATES": [record("SINF", EffectiveEndDate="20240814")],
    "SPRG-PROGRAM": [record("SPRG", EducationProgramCode="182")],
    "SPRG-MEMBERSHIP": [record("SPRG")],
    "SPRG-END-BEFORE-START": [record("SPRG", EducationProgramMembershipEndDate="20240814")],
    "SELA-STATUS": [record("SELA", EnglishAcquisitionStatusCode="RFEP", PrimaryLanguageCode="spa")],
    "SELA-LANGUAGE": [record("SELA", PrimaryLanguageCode="spa")],
}
for rule, t, _ in list(cases):
    if rule in near_miss:
        cases.append((rule + "-OK", t, near_miss[rule]))
sinf_line = record("SINF")
for rule, t, records in cases:
    folder = os.path.join(CASES, rule.lower())
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{t}.txt"), "w", newline="") as f:
        f.write("".join(records))
    with_sinf = rule in ("SENR-NO-SINF", "SENR-NO-SINF-OK")
    if with_sinf:
        with open(os.path.join(folder, "SINF.txt"), "w", newline="") as f:
            f.write(sinf_line)
    play = f'load data from "{t}.txt" as calpads {t}\n'
    if with_sinf:
        play += 'load sinf from "SINF.txt" as calpads SINF\n'
    play += f'findings = data | validate calpads {t}{" with sinf" if with_sinf else ""}\n'
    play += 'show findings\n'
    play += f'assert data is valid calpads {t}{" with sinf" if with_sinf else ""}\n'
    with open(os.path.join(folder, "case.playbook"), "w") as f:
        f.write(play)
# The two rules checked while loading.
for rule, content in [("GEN-FIELD-COUNT", "SENR^^^0161119^0112345\r\n"), ("GEN-RECORD-TYPE", record(S, RecordTypeCode="SINF")),
                      ("GEN-FIELD-COUNT-OK", record(S)), ("GEN-RECORD-TYPE-OK", record(S))]:
    folder = os.path.join(CASES, rule.lower())
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "SENR.txt"), "w", newline="") as f:
        f.write(content)
    with open(os.path.join(folder, "case.playbook"), "w") as f:
        f.write('load data from "SENR.txt" as calpads SENR\nfindings = data | validate calpads SENR\n')
print(len(cases) + 2, "cases")

# A cross-file rule: STAS with the SENR it needs (validate calpads STAS with senr).
stas_base = dict(RecordTypeCode="STAS", ReportingLEA="0161119", SchoolOfAttendance="0112345", AcademicYearID="2024-2025",
    SSID="1000000001", LocalStudentID="100001", StudentLegalFirstName="Ana", StudentLegalLastName="Lee", StudentBirthDate="20150301",
    StudentGenderCode="F", StudentAbsenceSummaryDataCollectionExemptionIndicator="N", HourlyAttendanceSchoolTypeIndicator="N",
    ExpectedAttendanceDays="180", DaysAttended="170", DaysAbsentOutOfSchoolSuspension="0", DaysinAttendanceInSchoolSuspension="0",
    DaysAbsentExcusedNonSuspension="6", DaysAbsentUnexcusedNonSuspension="4", IncompleteIndependentStudyDays="0",
    DaysAttendedInPerson="170", NonADAGeneratingIndependentStudyDays="0", ADAGeneratingIndependentStudyDays="0",
    PeriodByPeriodAttendanceMethodIndicator="N", AttendanceRecoveryDays="0")
def stas(**c):
    v=dict(stas_base); v.update(c)
    return "^".join(v.get(f,"") for f in fields("STAS"))+"\r\n"
base=CASES
senr = record("SENR") + record("SENR", SSID="1000000003", EnrollmentStatusCode="20", SchoolOfAttendance="6001734")
cases = {"cert126": [stas(SSID="1000000002"), stas(SSID="1000000003", SchoolOfAttendance="6001734")], "cert126-ok": [stas()]}
notes = {"cert126": "## Absence summary data needs a primary or short-term enrollment at the school in the year (CERT126):\n## the first record's student has none, the second only a secondary (status 20) one.\n",
         "cert126-ok": "## Absence summary data for a student with a primary enrollment at the school in the year.\n"}
for name, recs in cases.items():
    d=os.path.join(base,name); os.makedirs(d, exist_ok=True)
    open(os.path.join(d,"STAS.txt"),"w",newline="").write("".join(recs))
    open(os.path.join(d,"SENR.txt"),"w",newline="").write(senr)
    open(os.path.join(d,"case.playbook"),"w").write(notes[name] + 'load stas from "STAS.txt" as calpads STAS\nload senr from "SENR.txt" as calpads SENR\nfindings = stas | validate calpads STAS with senr\nshow findings\nassert stas is valid calpads STAS with senr\n')

# Course sections: SCSC duplicates, and SCSE records whose section the CRSE file lacks.
def rec(t, base, **c):
    v = dict(base); v.update(c)
    return "^".join(v.get(f, "") for f in fields(t)) + "\r\n"
student = dict(ReportingLEA="0161119", SchoolOfCourseDelivery="0112345", AcademicYearID="2024-2025", SSID="1000000001",
               LocalStudentID="100001", StudentLegalFirstName="Ana", StudentLegalLastName="Lee", StudentBirthDate="20080301",
               StudentGenderCode="F", LocalCourseID="ENG10", CourseSectionID="ENG10-1", AcademicTermCode="FY")
section = dict(RecordTypeCode="CRSE", ReportingLEA="0161119", SchoolOfCourseDelivery="0112345", AcademicYearID="2024-2025",
               CRSStateCourseCode="2131", CRSLocalCourseID="ENG10", CRSCourseName="English 10", CourseSectionID="ENG10-1",
               AcademicTermCode="FY", SEID="1234567890", LocalStaffID="T100", LanguageOfInstructionCode="00")
scsc = dict(student, RecordTypeCode="SCSC", StudentCreditsAttempted="5.00", StudentCreditsEarned="5.00", StudentCourseFinalGrade="A",
            MarkingPeriodCode="S1")
scse = dict(student, RecordTypeCode="SCSE")
course_cases = {
    "scsc0230": ("SCSC", [rec("SCSC", scsc), rec("SCSC", scsc, StudentCourseFinalGrade="B")], None,
                 "## The same student completing the same course section twice in one marking period (SCSC0230).\n"),
    "scsc0230-ok": ("SCSC", [rec("SCSC", scsc), rec("SCSC", scsc, MarkingPeriodCode="S2"), rec("SCSC", scsc, SSID="1000000002")], None,
                    "## One record per student, section and marking period: another marking period, another student.\n"),
    "scse0139f2": ("SCSE", [rec("SCSE", scse), rec("SCSE", scse, CourseSectionID="ENG10-9"), rec("SCSE", scse, AcademicTermCode="S1")],
                   [rec("CRSE", section)], "## Student course sections whose section (ENG10-9) or term (S1) the CRSE file lacks (SCSE0139F2).\n"),
    "scse0139f2-ok": ("SCSE", [rec("SCSE", scse), rec("SCSE", dict(scse, AcademicYearID="2021-2022"), CourseSectionID="OLD-1")],
                      [rec("CRSE", section)], "## A student in a section the CRSE file has; before 2022-23 the rule does not apply.\n"),
}
for name, (t, records, crse, note) in course_cases.items():
    d = os.path.join(CASES, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{t}.txt"), "w", newline="") as f:
        f.write("".join(records))
    with_crse = ""
    play = note + f'load data from "{t}.txt" as calpads {t}\n'
    if crse:
        with open(os.path.join(d, "CRSE.txt"), "w", newline="") as f:
            f.write("".join(crse))
        play += 'load crse from "CRSE.txt" as calpads CRSE\n'
        with_crse = " with crse"
    play += f"findings = data | validate calpads {t}{with_crse}\nshow findings\nassert data is valid calpads {t}{with_crse}\n"
    with open(os.path.join(d, "case.playbook"), "w") as f:
        f.write(play)

# Cross-file: programs and language status need an enrollment; staff assignments need SDEM.
senr_file = record(S) + record(S, SSID="1000000002", EnrollmentSchoolExitDate="20240930", StudentExitReasonCode="T160")
staff = dict(ReportingLEA="0161119", AcademicYearID="2024-2025", SEID="1234567890", LocalStaffID="T100", StaffLegalFirstName="Pat",
             StaffLegalLastName="Ng", StaffBirthDate="19800101", StaffGenderCode="F")
sdem = dict(staff, RecordTypeCode="SDEM", EffectiveStartDate="20240701", StaffServiceYearsLEA="5", StaffServiceYearsTotal="10")
sass = dict(staff, RecordTypeCode="SASS", SchoolofAssignment="0112345", StaffJobClassificationCode="12", StaffJobClassificationFTEPercentage="100.0")
cross = {
    "gerr0005-dates": ("SPRG", [record("SPRG", SSID="1000000003"), record("SPRG", SSID="1000000002", EducationProgramMembershipStartDate="20241001"),
                                record("SPRG", SSID="1000000002", EducationProgramMembershipStartDate="20240901", EducationProgramMembershipEndDate="20241031"),
                                record("SPRG", SSID="1000000002", EducationProgramCode="108", EducationProgramMembershipCode="3",
                                       EducationProgramMembershipStartDate="20240801"),
                                record("SPRG", SchoolOfAttendance="6001734")],
                       "SENR", senr_file, "## GERR0005: a program for a student with no enrollment; one starting after the enrollment's exit; one ending after it;\n"
                       "## a participating (3) one starting before the enrollment; one at a school the student is not enrolled at.\n"),
    "gerr0005-dates-ok": ("SPRG", [record("SPRG"), record("SPRG", SSID="1000000002", EducationProgramMembershipStartDate="20240901"),
                                   record("SPRG", SSID="1000000002", EducationProgramMembershipStartDate="20240701", EducationProgramMembershipEndDate="20240930"),
                                   record("SPRG", SSID="1000000002", EducationProgramCode="108", EducationProgramMembershipCode="3",
                                          EducationProgramMembershipStartDate="20240901")],
                          "SENR", senr_file, "## Programs overlapping an enrollment at their school; an open participating record may outlast the exited enrollment.\n"),
    "sela-no-enrollment": ("SELA", [record("SELA", SSID="1000000003")], "SENR", senr_file, "## A language status for a student with no enrollment in the LEA.\n"),
    "sela-no-enrollment-ok": ("SELA", [record("SELA"), record("SELA", SSID="1000000002")], "SENR", senr_file, "## Language statuses of enrolled students.\n"),
    "cert049": ("SASS", [rec("SASS", sass, SEID="1234567891")], "SDEM", rec("SDEM", sdem), "## An assignment for a staff member without SDEM.\n"),
    "cert049-ok": ("SASS", [rec("SASS", sass)], "SDEM", rec("SDEM", sdem), "## An assignment for a staff member with SDEM for the year.\n"),
}
for name, (t, records, other, other_text, note) in cross.items():
    d = os.path.join(CASES, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{t}.txt"), "w", newline="") as f:
        f.write("".join(records))
    with open(os.path.join(d, f"{other}.txt"), "w", newline="") as f:
        f.write(other_text)
    o = other.lower()
    play = note + f'load data from "{t}.txt" as calpads {t}\nload {o} from "{other}.txt" as calpads {other}\n'
    play += f"findings = data | validate calpads {t} with {o}\nshow findings\nassert data is valid calpads {t} with {o}\n"
    with open(os.path.join(d, "case.playbook"), "w") as f:
        f.write(play)

# Rules with a plant and a near miss in scripts/calpads_rules.tsv: NAME breaks the rule on the
# clean records of scripts/calpads_sample_records.tsv (the same records and changes the sample
# generator's --plant rules uses); NAME-ok is one change away and must not fire.
def tsv(path):
    rows = []
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            rows.append(dict(zip(header, cells)))
    return rows

SAMPLE = {}
for row in tsv("scripts/calpads_sample_records.tsv"):
    SAMPLE.setdefault(row["type"], []).append((row["field"], row["value"]))
VALUES = dict(LEA="0161119", SCHOOL="0112345", SSID="1000000001", LOCAL="100001", SEID="1234567890", STAFF="T100",
              COURSE="P1", SECTION="P1-1", REC="R1", K="1", OTHER="1999999999")

def fill(value, year):
    value = value.replace("{OTHERLANG}", "spa" if year >= 2023 else "01")  # Spanish, for a status other than EO
    value = value.replace("{LANG}", "eng" if year >= 2023 else "00")  # English in the year's code set (Flash #256)
    value = re.sub(r"\{Y([+-]\d+)?\}", lambda m: str(year + int(m.group(1) or 0)), value)
    return re.sub(r"\{([A-Z]+)\}", lambda m: VALUES[m.group(1)], value)

def changes(record, text, year):
    if text.strip() == "-":
        return
    for part in text.split(";"):
        name, _, value = part.partition("=")
        record[name.strip()] = fill(value, year)

def plant(spec, year):
    """The files a plant (or near miss) makes: type -> records, and the rules it also breaks."""
    spec, _, also = spec.partition(" => ")
    files = {}
    for clause in spec.split(" & "):
        t, _, text = clause.partition(": ")
        parts = text.split(" + ")
        if parts[0].strip() == "DROP":
            files[t] = []
            continue
        first = {f: fill(v, year) for f, v in SAMPLE[t]}
        changes(first, parts[0], year)
        files[t] = [first]
        for part in parts[1:]:
            copy = dict(first)
            changes(copy, part, year)
            files[t].append(copy)
    return files, [a for a in also.split(",") if a]

def caret(t, records, year):
    return "".join("^".join(r.get(f, "") for f in fields(t, year)) + "\r\n" for r in records)

declared = 0
for rule in tsv("scripts/calpads_rules.tsv"):
    if not rule["plant"] or not rule["ok"]:
        continue
    types = rule["types"].split(",")
    first, last = int(rule["first_year"]), int(rule["last_year"])
    year = 2024 if first <= 2024 <= last else (first if first > 2024 else last)
    for suffix, spec, note in (("", rule["plant"], "breaks the rule"), ("-ok", rule["ok"], "is one change away from breaking the rule; nothing fires")):
        files, _ = plant(spec, year)
        target = spec.split(":")[0]
        main = target if target in types else types[0]
        others = [w.strip().upper() for w in rule["with"].split(",") if w.strip()]
        folder = os.path.join(CASES, rule["id"].lower() + suffix)
        os.makedirs(folder, exist_ok=True)
        for t in [main] + others:
            records = files.get(t, [{f: fill(v, year) for f, v in SAMPLE[t]}])
            with open(os.path.join(folder, f"{t}.txt"), "w", newline="") as f:
                f.write(caret(t, records, year))
        with_clause = f" with {', '.join(o.lower() for o in others)}" if others else ""
        play = f"## {rule['id']}: {rule['description']}.\n## This {main} file {note}.\n"
        play += f'load data from "{main}.txt" as calpads {main}\n'
        for o in others:
            play += f'load {o.lower()} from "{o}.txt" as calpads {o}\n'
        play += f"findings = data | validate calpads {main}{with_clause}\nshow findings\nassert data is valid calpads {main}{with_clause}\n"
        with open(os.path.join(folder, "case.playbook"), "w") as f:
            f.write(play)
        declared += 1
print(declared, "cases from the rules' plants and near misses")

# CERT112 reads the file's latest Academic Year ID: its cases hold a current-year enrollment of
# another student beside the prior-year one (the generic cases above hold the prior-year record alone).
Y = 2024
current = {f: fill(v, Y) for f, v in SAMPLE["SENR"]}
current.update(SSID="1000000009", LocalStudentID="100009", LocalRecordID="R9")
prior = dict({f: fill(v, Y) for f, v in SAMPLE["SENR"]}, AcademicYearID=f"{Y-1}-{Y}", EnrollmentSchoolStartDate=f"{Y-1}0814")
for name, last, note in (("cert112", prior, "an enrollment of 2023-24 still open in a 2024-25 file: not exited before August 16, 2024"),
                         ("cert112-ok", dict(prior, EnrollmentSchoolExitDate=f"{Y}0815", StudentExitReasonCode="E155"),
                          "the 2023-24 enrollment exited E155 on August 15, 2024, the day before the deadline")):
    folder = os.path.join(CASES, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "SENR.txt"), "w", newline="") as f:
        f.write(caret("SENR", [current, last], Y))
    with open(os.path.join(folder, "case.playbook"), "w") as f:
        f.write(f"## CERT112: {note}.\n" + 'load data from "SENR.txt" as calpads SENR\nfindings = data | validate calpads SENR\nshow findings\nassert data is valid calpads SENR\n')
