import Foundation
import TallyModel

/// An error CALPADS would raise on a generated SENR record.
public struct ReturnedError: Sendable {
    public enum Kind: Sendable, CaseIterable {
        case invalidGrade, exitBeforeStart, overlapping, duplicatePrimary, completerWithoutStatus, ssidNotInODS, retiredSSIDMismatch
        case secondaryExitReason, exemptionNotGraduate, concurrentEnrollment
    }
    /// Which submission reports it: both (still open in the second), the first only (fixed
    /// before the second), or the second only (new).
    public enum Resubmission: Sendable { case stillOpen, fixed, new }

    public var kind: Kind
    public var record: [String: String]
    public var line: Int
    public var resubmission: Resubmission

    init(_ kind: Kind, record: [String: String], line: Int, resubmission: Resubmission? = nil) {
        self.kind = kind
        self.line = line
        self.record = record
        // The analyst fixes the errors of their own data entry; the state's own matches stay open.
        self.resubmission =
            resubmission
            ?? {
                switch kind {
                case .invalidGrade, .exitBeforeStart, .overlapping, .retiredSSIDMismatch, .secondaryExitReason, .exemptionNotGraduate:
                    return .fixed
                case .duplicatePrimary, .completerWithoutStatus, .ssidNotInODS, .concurrentEnrollment: return .stillOpen
                }
            }()
        // A warning rejects nothing, so no extract needs its whole record: keep what its report row shows.
        let column = field.column
        if kind == .concurrentEnrollment {
            self.record = record.filter { ReturnedError.reportFields.contains($0.key) || $0.key == column }
        }
    }

    /// The record's fields a report row shows.
    static let reportFields: Set<String> = [
        "StudentLegalLastName", "StudentLegalFirstName", "SSID", "LocalStudentID", "LocalRecordID",
        "SchoolOfAttendance",
    ]

    /// The CALPADS error ID (as CALPADS' troubleshooting pages name it), the field it reports
    /// and a description in Tally's words.
    public var code: String {
        switch kind {
        case .invalidGrade: return "GERR0002"
        case .exitBeforeStart: return "SENR0018"
        case .overlapping: return "SENR0178"
        case .duplicatePrimary: return "SENR0027"
        case .completerWithoutStatus: return "SENR0022"
        case .ssidNotInODS: return "SENR0007"
        case .retiredSSIDMismatch: return "SENR0072"
        case .secondaryExitReason: return "SENR0302"
        case .exemptionNotGraduate: return "SENR0630"
        case .concurrentEnrollment: return "SENR0028"
        }
    }

    /// CALPADS' one-letter severity: F (fatal: the record is rejected) or W (warning: it is posted).
    public var severity: String { kind == .concurrentEnrollment ? "W" : "F" }

    var field: (label: String, column: String) {
        switch kind {
        case .invalidGrade: return ("Grade Level Code", "GradeLevelCode")
        case .exitBeforeStart: return ("Enrollment Exit Date", "EnrollmentSchoolExitDate")
        case .overlapping, .duplicatePrimary, .concurrentEnrollment: return ("Enrollment Start Date", "EnrollmentSchoolStartDate")
        case .completerWithoutStatus: return ("Student School Completion Status", "StudentSchoolCompletionStatus")
        case .ssidNotInODS, .retiredSSIDMismatch: return ("SSID", "SSID")
        case .secondaryExitReason: return ("Student Exit Reason Code", "StudentExitReasonCode")
        case .exemptionNotGraduate: return ("Graduation Exemption Indicator", "GraduationExemptionIndicator")
        }
    }

    var description: String {
        switch kind {
        case .invalidGrade: return "The grade level is not a code in the CALPADS code set"
        case .exitBeforeStart: return "The enrollment exit date is earlier than the enrollment start date"
        case .overlapping: return "The student already has an enrollment at this school that overlaps these dates"
        case .duplicatePrimary: return "The student has an overlapping primary enrollment at another school of the LEA"
        case .completerWithoutStatus: return "The exit reason and the completion status are not a valid combination"
        case .ssidNotInODS: return "The SSID is not a valid SSID in CALPADS"
        case .retiredSSIDMismatch: return "The SSID is retired, and the gender or birth year differ from those CALPADS holds for it"
        case .secondaryExitReason: return "A secondary enrollment is exited with E170 or not at all"
        case .exemptionNotGraduate: return "The Graduation Exemption Indicator is given only for a graduate"
        case .concurrentEnrollment:
            return "The primary enrollment overlaps a primary enrollment of the student in another LEA (a concurrent enrollment)"
        }
    }
}

/// Writes what CALPADS would send back for a generated district: the 0.1 error report of the
/// first upload, its Rejected Records Extract, the 0.1 report of a resubmission (some errors
/// fixed, one new), and the certification report 1.17 extract of the posted records.
///
/// The shapes follow what CALPADS' documentation describes (docs/LANGUAGE.md, *What CALPADS
/// sends back*): the report as CSV with a header, the extract caret-delimited without one.
public enum CalpadsReturnsSample {
    public static let errorReport = "ErrorReport_0.1_SENR.csv"
    public static let resubmissionReport = "ErrorReport_0.1_SENR_resubmission.csv"
    public static let rejectedExtract = "SENR_rejected.txt"
    public static let report117 = "Report_1.17.csv"
    public static let resubmissionRejected = "SENR_rejected_resubmission.txt"
    public static let resubmissionReport117 = "Report_1.17_resubmission.csv"

    static func csv(_ cells: [String]) -> String {
        cells.map { c in c.utf8.contains(where: { $0 == 44 || $0 == 34 }) ? "\"" + c.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : c
        }
        .joined(separator: ",")
    }

    static func reportRows(_ errors: [ReturnedError]) -> String {
        var out =
            csv([
                "Student Name", "SSID", "Local Student ID", "Local Record ID", "School of Attendance", "Error Code",
                "Error Description", "Field Name", "Field Value", "Error Severity",
            ]) + "\r\n"
        for e in errors {
            let r = e.record
            let name = "\(r["StudentLegalLastName"] ?? ""), \(r["StudentLegalFirstName"] ?? "")"
            out +=
                csv([
                    name, r["SSID"] ?? "", r["LocalStudentID"] ?? "", r["LocalRecordID"] ?? "", r["SchoolOfAttendance"] ?? "",
                    e.code, e.description, e.field.label, r[e.field.column] ?? "", e.severity,
                ]) + "\r\n"
        }
        return out
    }

    public static func write(_ district: SampleDistrict, senrLayout: CalpadsLayout, to folder: String) throws {
        let first = district.returned.filter { $0.resubmission != .new }.sorted { $0.line < $1.line }
        let second = district.returned.filter { $0.resubmission != .fixed }.sorted { $0.line < $1.line }
        try Data(reportRows(first).utf8).write(to: URL(fileURLWithPath: folder + "/" + errorReport))
        try Data(reportRows(second).utf8).write(to: URL(fileURLWithPath: folder + "/" + resubmissionReport))
        // Only fatal errors reject a record; a record with a warning is posted.
        let firstRejected = first.filter { $0.severity == "F" }, secondRejected = second.filter { $0.severity == "F" }
        try writeRejected(firstRejected, senrLayout: senrLayout, to: folder + "/" + rejectedExtract)
        try writeRejected(secondRejected, senrLayout: senrLayout, to: folder + "/" + resubmissionRejected)
        try writeReport117(district, rejected: firstRejected, to: folder + "/" + report117)
        try writeReport117(district, rejected: secondRejected, to: folder + "/" + resubmissionReport117)
    }

    /// Rejected records: the record as uploaded, type SENR-E, transaction type blank, then the error.
    static func writeRejected(_ errors: [ReturnedError], senrLayout: CalpadsLayout, to path: String) throws {
        var rejected = ""
        for e in errors {
            var fields = senrLayout.fields.map { e.record[$0.name] ?? "" }
            fields[0] = "SENR-E"
            if fields.count > 1 { fields[1] = "" }
            fields += [e.code, e.severity, e.description, e.field.label, e.record[e.field.column] ?? ""]
            rejected += fields.joined(separator: "^") + "\r\n"
        }
        try Data(rejected.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The title line of Report 1.17 as CALPADS names it now (it was "FRPM/English
    /// Learner/Foster Youth - Count" before).
    public static let report117Title = "1.17 - LCFF Unduplicated Pupil – Count"
    /// Its count columns, as in CDE's public Unduplicated Pupil Count file.
    static let report117Counts = [
        "Total Enrollment", "Free & Reduced Meal Program", "Foster", "Tribal Foster Youth", "Homeless",
        "Migrant Program", "Direct Certification", "Unduplicated FRPM Eligible Count", "English Learner (EL)",
        "CALPADS Unduplicated Pupil Count (UPC)",
    ]

    /// Report 1.17: Census Day enrollments CALPADS posted (status 10 or 30, open on Census
    /// Day; rejected records are not posted), by school and grade. Homeless, migrant, foster
    /// and directly certified students are eligible for free meals whatever their SPRG meal
    /// record says; the UPC counts each student once: FRPM-eligible or an English learner.
    static func writeReport117(_ district: SampleDistrict, rejected: [ReturnedError], to path: String) throws {
        let rejectedLines = Set(rejected.map(\.line))
        // Counts by (school, grade), keyed by their positions so the rows sort by school, then grade.
        let order = DistrictGenerator.grades
        var schoolAt: [String: Int] = [:], gradeAt: [String: Int] = [:]
        for (k, s) in district.schools.enumerated() { schoolAt[s] = k }
        for (k, g) in order.enumerated() { gradeAt[g] = k }
        let width = order.count + 1
        var counts: [Int: [Int]] = [:]
        // A planted invalid grade (K) is no grade of the list: its rows come after the school's others.
        var unknown: [Int: (String, String)] = [:]
        for e in district.enrollments where (e.status == "10" || e.status == "30") && !rejectedLines.contains(e.line) {
            guard e.start <= district.censusDay, e.exit.map({ $0 > district.censusDay }) ?? true else { continue }
            let p = e.programs.rawValue
            func has(_ flag: SamplePrograms) -> Bool { p & flag.rawValue != 0 }
            let eligible = has(.frpm) || has(.foster) || has(.homeless) || has(.migrant) || has(.directCertified)
            let flags = [
                true, has(.frpm), has(.foster), has(.tribalFoster), has(.homeless), has(.migrant), has(.directCertified),
                eligible, has(.englishLearner), eligible || has(.englishLearner),
            ]
            let key = (schoolAt[e.school] ?? district.schools.count) * width + (gradeAt[e.grade] ?? order.count)
            var c = counts[key] ?? Array(repeating: 0, count: flags.count)
            for k in 0..<flags.count where flags[k] { c[k] += 1 }
            counts[key] = c
            if schoolAt[e.school] == nil || gradeAt[e.grade] == nil { unknown[key] = (e.school, e.grade) }
        }
        var report = report117Title + "\r\n"
        report += "Academic Year: \(district.academicYear)  LEA: \(district.lea)  (synthetic data from tally sample)\r\n\r\n"
        report += csv(["Academic Year", "Reporting LEA", "School Code", "School Name", "Grade"] + report117Counts) + "\r\n"
        var names: [String: String] = [:]
        for s in district.schoolDetails { names[s.code] = s.name }
        var totals = Array(repeating: 0, count: report117Counts.count)
        for key in counts.keys.sorted() {
            guard let c = counts[key] else { continue }
            let (school, grade) = unknown[key] ?? (district.schools[key / width], order[key % width])
            report += csv([district.academicYear, district.lea, school, names[school] ?? school, grade] + c.map(String.init)) + "\r\n"
            for k in totals.indices { totals[k] += c[k] }
        }
        report += csv([district.academicYear, district.lea, "Total", "", ""] + totals.map(String.init)) + "\r\n"
        try Data(report.utf8).write(to: URL(fileURLWithPath: path))
    }
}
