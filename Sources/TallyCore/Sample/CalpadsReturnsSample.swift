import Foundation

/// An error CALPADS would raise on a generated SENR record.
public struct ReturnedError: Sendable {
    public enum Kind: Sendable, CaseIterable {
        case invalidGrade, exitBeforeStart, overlapping, duplicatePrimary, completerWithoutStatus, ssidNotInODS, retiredSSIDMismatch
        case secondaryExitReason, exemptionNotGraduate
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
        self.record = record
        self.line = line
        // The analyst fixes the errors of their own data entry; the state's own matches stay open.
        self.resubmission = resubmission ?? {
            switch kind {
            case .invalidGrade, .exitBeforeStart, .overlapping, .retiredSSIDMismatch, .secondaryExitReason, .exemptionNotGraduate: return .fixed
            case .duplicatePrimary, .completerWithoutStatus, .ssidNotInODS: return .stillOpen
            }
        }()
    }

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
        }
    }

    var field: (label: String, column: String) {
        switch kind {
        case .invalidGrade: return ("Grade Level Code", "GradeLevelCode")
        case .exitBeforeStart: return ("Enrollment Exit Date", "EnrollmentSchoolExitDate")
        case .overlapping, .duplicatePrimary: return ("Enrollment Start Date", "EnrollmentSchoolStartDate")
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

    /// A record's Local Record ID: the SIS's key of the enrollment row (here from its line).
    static func recordID(_ line: Int) -> String { "ENR-" + String(1_000_000 + line).dropFirst() }

    static func csv(_ cells: [String]) -> String {
        cells.map { c in c.contains(",") || c.contains("\"") ? "\"" + c.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : c }
            .joined(separator: ",")
    }

    static func reportRows(_ errors: [ReturnedError]) -> String {
        var out = csv(["Student Name", "SSID", "Local Student ID", "Local Record ID", "School of Attendance", "Error Code",
                       "Error Description", "Field Name", "Field Value", "Error Severity"]) + "\r\n"
        for e in errors {
            let r = e.record
            let name = "\(r["StudentLegalLastName"] ?? ""), \(r["StudentLegalFirstName"] ?? "")"
            out += csv([name, r["SSID"] ?? "", r["LocalStudentID"] ?? "", r["LocalRecordID"] ?? "", r["SchoolOfAttendance"] ?? "",
                        e.code, e.description, e.field.label, r[e.field.column] ?? "", "Fatal"]) + "\r\n"
        }
        return out
    }

    public static func write(_ district: SampleDistrict, senrLayout: CalpadsLayout, to folder: String) throws {
        let first = district.returned.filter { $0.resubmission != .new }.sorted { $0.line < $1.line }
        let second = district.returned.filter { $0.resubmission != .fixed }.sorted { $0.line < $1.line }
        try Data(reportRows(first).utf8).write(to: URL(fileURLWithPath: folder + "/" + errorReport))
        try Data(reportRows(second).utf8).write(to: URL(fileURLWithPath: folder + "/" + resubmissionReport))
        try writeRejected(first, senrLayout: senrLayout, to: folder + "/" + rejectedExtract)
        try writeRejected(second, senrLayout: senrLayout, to: folder + "/" + resubmissionRejected)
        try writeReport117(district, rejected: first, to: folder + "/" + report117)
        try writeReport117(district, rejected: second, to: folder + "/" + resubmissionReport117)
    }

    /// Rejected records: the record as uploaded, type SENR-E, transaction type blank, then the error.
    static func writeRejected(_ errors: [ReturnedError], senrLayout: CalpadsLayout, to path: String) throws {
        var rejected = ""
        for e in errors {
            var fields = senrLayout.fields.map { e.record[$0.name] ?? "" }
            fields[0] = "SENR-E"
            if fields.count > 1 { fields[1] = "" }
            fields += [e.code, "Fatal", e.description, e.field.label, e.record[e.field.column] ?? ""]
            rejected += fields.joined(separator: "^") + "\r\n"
        }
        try Data(rejected.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Report 1.17: Census Day enrollments CALPADS posted (status 10 or 30, open on Census
    /// Day; rejected records are not posted), by school and grade.
    static func writeReport117(_ district: SampleDistrict, rejected: [ReturnedError], to path: String) throws {
        let rejectedLines = Set(rejected.map(\.line))
        struct Counts { var total = 0, frpm = 0, el = 0, foster = 0, unduplicated = 0 }
        var counts: [String: Counts] = [:]
        for e in district.enrollments where (e.status == "10" || e.status == "30") && !rejectedLines.contains(e.line) {
            guard e.start <= district.censusDay, e.exit.map({ $0 > district.censusDay }) ?? true else { continue }
            var c = counts[e.school + "\u{1F}" + e.grade, default: Counts()]
            c.total += 1
            let f = district.frpm.contains(e.ssid), l = district.englishLearners.contains(e.ssid), y = district.foster.contains(e.ssid)
            if f { c.frpm += 1 }
            if l { c.el += 1 }
            if y { c.foster += 1 }
            if f || l || y { c.unduplicated += 1 }
            counts[e.school + "\u{1F}" + e.grade] = c
        }
        var report = "1.17 - FRPM/English Learner/Foster Youth - Count\r\n"
        report += "Academic Year: \(district.academicYear)  LEA: \(district.lea)  (synthetic data from tally sample)\r\n\r\n"
        report += csv(["Academic Year", "Reporting LEA", "School Code", "School Name", "Grade", "Total Enrollment",
                       "Free & Reduced Meal Program", "English Learner (EL)", "Foster", "Unduplicated FRPM/EL/Foster Youth"]) + "\r\n"
        let order = DistrictGenerator.grades
        let keys = counts.keys.sorted { a, b in
            let pa = a.split(separator: "\u{1F}").map(String.init), pb = b.split(separator: "\u{1F}").map(String.init)
            return (pa[0], order.firstIndex(of: pa[1]) ?? 99) < (pb[0], order.firstIndex(of: pb[1]) ?? 99)
        }
        var totals = Counts()
        for key in keys {
            guard let c = counts[key] else { continue }
            let parts = key.split(separator: "\u{1F}").map(String.init)
            let index = district.schools.firstIndex(of: parts[0]) ?? 0
            report += csv([district.academicYear, district.lea, parts[0], "Sample School \(index + 1)", parts[1], String(c.total),
                           String(c.frpm), String(c.el), String(c.foster), String(c.unduplicated)]) + "\r\n"
            totals.total += c.total; totals.frpm += c.frpm; totals.el += c.el; totals.foster += c.foster; totals.unduplicated += c.unduplicated
        }
        report += csv([district.academicYear, district.lea, "Total", "", "", String(totals.total), String(totals.frpm), String(totals.el),
                       String(totals.foster), String(totals.unduplicated)]) + "\r\n"
        try Data(report.utf8).write(to: URL(fileURLWithPath: path))
    }
}
