import Foundation

/// A defect the generator planted on purpose, so tests and analysts know the right answers.
public struct PlantedDefect: Sendable, Equatable {
    public var kind: String
    public var ssid: String
    public var file: String
    public var line: Int
    public var detail: String
}

/// One generated enrollment (one SENR record).
public struct SampleEnrollment: Sendable {
    public var ssid: String
    public var school: String
    public var grade: String
    public var status: String
    public var start: Int32
    public var exit: Int32?
    public var exitReason: String?
    public var line: Int
}

/// The generated district, as records and as the files written from them.
public struct SampleDistrict: Sendable {
    public var lea: String
    public var academicYear: String
    public var censusDay: Int32
    public var schools: [String]
    public var enrollments: [SampleEnrollment]
    /// SSIDs with a SINF record.
    public var sinfSSIDs: Set<String>
    /// SIS rows: (SSID, school, grade).
    public var sisRows: [(ssid: String, school: String, grade: String)]
    public var defects: [PlantedDefect]
    /// What CALPADS would send back for this district's SENR (see `CalpadsReturnsSample`).
    public var returned: [ReturnedError] = []
    /// Students in each program counted by Report 1.17.
    public var frpm: Set<String> = []
    public var englishLearners: Set<String> = []
    public var foster: Set<String> = []
    /// `--plant rules`: the finding each planted rule defect must give (planted_rules.csv).
    public var plantedFindings: [PlantedFinding] = []
}

/// Options of `tally sample calpads`.
public struct SampleOptions: Sendable {
    public var students = 1000
    public var seed: UInt64 = 1
    public var academicYear = "2024-2025"
    public var lea = "0161119"
    public var plant = PlantMode.defects
    public init() {}
}

/// Writes a realistic synthetic district in CALPADS layouts.
public enum DistrictGenerator {
    static let firstNames = ["Maria", "Jose", "Sofia", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Ava", "Ethan", "Camila",
                             "Daniel", "Isabella", "Aiden", "Mia", "Lucas", "Chloe", "Nathan", "Zoe", "Jayden", "Ana", "Minh",
                             "Priya", "Wei", "Fatima", "Diego", "Amara", "Kai", "Leilani", "Hugo", "Chloé", "José Luis"]
    static let lastNames = ["Garcia", "Nguyen", "Smith", "Hernandez", "Lopez", "Kim", "Johnson", "Martinez", "Patel", "Chen",
                            "Rodriguez", "Brown", "Singh", "Tran", "Davis", "Gonzalez", "Wong", "Perez", "O'Neil", "Flores",
                            "Ramirez", "Muñoz", "Williams", "Le", "Castillo", "Reyes", "Park", "Ortiz", "De La Cruz", "Yamamoto"]
    public static let grades = ["TK", "KN", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]

    /// The positions (student index modulo the defect interval) where defects are planted.
    static let plantedTicks: Set<Int> = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 49]

    /// First Wednesday in October of the academic year's first calendar year.
    public static func censusDay(startYear: Int) -> Int32 {
        let first = DateCodec.days(year: startYear, month: 10, day: 1) ?? 0
        // 1970-01-01 was a Thursday: weekday 0 = Thursday ... 6 = Wednesday.
        let weekday = ((Int(first) % 7) + 7) % 7
        return first + Int32((6 - weekday + 7) % 7)
    }

    /// Generates the district in memory and writes its files to `folder`.
    @discardableResult
    public static func write(_ options: SampleOptions, to folder: String) throws -> SampleDistrict {
        let fm = FileManager.default
        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let startYear = CalpadsLayouts.startYear(options.academicYear) ?? 2024
        guard let senrLayout = CalpadsLayouts.layout("SENR", year: startYear),
              let sinfLayout = CalpadsLayouts.layout("SINF", year: startYear),
              let sprgLayout = CalpadsLayouts.layout("SPRG", year: startYear),
              let selaLayout = CalpadsLayouts.layout("SELA", year: startYear) else {
            throw Diagnostic(.error, "no CALPADS layouts for \(options.academicYear)", file: folder)
        }
        var rng = SeededRandom(seed: options.seed)
        let census = censusDay(startYear: startYear)
        let firstDay = DateCodec.days(year: startYear, month: 8, day: 14) ?? 0
        let schoolCount = max(2, min(40, options.students / 400 + 2))
        // School codes are 7-digit text; the first one has a leading zero on purpose.
        let schools: [String] = (0..<schoolCount).map { (k: Int) -> String in
            k == 0 ? "0112345" : String(6_000_001 + k * 1_733)
        }
        var district = SampleDistrict(lea: options.lea, academicYear: options.academicYear, censusDay: census, schools: schools,
                                      enrollments: [], sinfSSIDs: [], sisRows: [], defects: [])
        let defectEvery = max(50, options.students / max(1, options.students / 200))
        var senr = CaretFile(layout: senrLayout), sinf = CaretFile(layout: sinfLayout)
        var sprg = CaretFile(layout: sprgLayout), sela = CaretFile(layout: selaLayout)
        var sis = "SSID,LocalID,School,Grade,EntryDate,ExitDate,LastName,FirstName,BirthDate\n"
        // --plant rules and --plant none also write the other files, clean, with a teacher per school.
        var extras = RulePlants(year: startYear, lea: options.lea, schools: schools)
        if options.plant != .defects { extras.writeStaff() }
        func ymd(_ d: Int32) -> String { DateCodec.format(d, "YYYYMMDD") }
        func mdy(_ d: Int32) -> String { DateCodec.format(d, "MM/DD/YYYY") }

        for i in 0..<options.students {
            let ssid = String(1_000_000_000 + (i &* 7_919) % 8_999_999_999)
            let local = String(100_000 + i)
            let school = schools[rng.int(0..<schools.count)]
            var gradeIndex = rng.int(0..<grades.count)
            // Planted completers are twelfth graders of the right age.
            // The default defects are planted at ticks; --plant rules and none plant none of them.
            let tick = options.plant == .defects ? i % defectEvery : -1
            if [29, 31].contains(tick) { gradeIndex = grades.count - 1 }
            var grade = grades[gradeIndex]
            let birthYear: Int = startYear - 5 - gradeIndex + (gradeIndex == 0 ? 1 : 0)
            let birth = DateCodec.days(year: birthYear, month: rng.int(1..<13), day: rng.int(1..<29)) ?? 0
            let first = rng.pick(firstNames), last = rng.pick(lastNames)
            let gender = rng.pick(["M", "F", "F", "M", "X"])
            var start = firstDay
            var exit: Int32? = nil
            var reason: String? = nil
            if rng.chance(0.03) { exit = census - Int32(rng.int(5..<30)); reason = "T160" }
            else if rng.chance(0.02) { start = census + Int32(rng.int(5..<40)) }
            // Planted defects start from a plain open enrollment, so each gives exactly one finding.
            if DistrictGenerator.plantedTicks.contains(tick) { start = firstDay; exit = nil; reason = nil }
            if tick == 7 { grade = "K"; }
            var completion: String? = nil
            if tick == 19 { exit = firstDay - 3; reason = "T160"; start = firstDay }
            if tick == 29 { grade = "12"; exit = firstDay + 30; reason = "E230" }
            if tick == 31 { grade = "12"; exit = firstDay + 30; reason = "E230"; completion = "100" }
            // A graduate exited after June 30, 2023 carries the Graduation Exemption Indicator (SENR0632);
            // at tick 49 a student who did not graduate has one (SENR0630, from 2023-24).
            let exemption = completion == "100" && startYear >= 2023 ? "N" : tick == 49 && startYear >= 2023 ? "Y" : ""
            if tick == 23 { exit = firstDay + 40; reason = "T160"; start = firstDay }
            var record: [String: String] = [
                "RecordTypeCode": "SENR", "LocalRecordID": CalpadsReturnsSample.recordID(senr.lines + 1), "ReportingLEA": options.lea, "SchoolOfAttendance": school,
                "AcademicYearID": options.academicYear, "SSID": ssid, "LocalStudentID": local,
                "StudentLegalFirstName": first, "StudentLegalLastName": last, "StudentBirthDate": ymd(birth),
                "StudentGenderCode": gender, "StudentBirthCountryCode": "US", "EnrollmentSchoolStartDate": ymd(start),
                "EnrollmentStatusCode": "10", "GradeLevelCode": grade,
                "EnrollmentSchoolExitDate": exit.map(ymd) ?? "", "StudentExitReasonCode": reason ?? "",
                "StudentSchoolCompletionStatus": completion ?? "", "GraduationExemptionIndicator": exemption,
            ]
            let line = senr.append(record)
            if options.plant != .defects { extras.writeStudent(record, index: i, grade: grade) }
            district.enrollments.append(SampleEnrollment(ssid: ssid, school: school, grade: grade, status: "10", start: start,
                                                         exit: exit, exitReason: reason, line: line))
            if tick == 7 {
                district.defects.append(PlantedDefect(kind: "invalid_grade", ssid: ssid, file: "SENR.txt", line: line, detail: "GradeLevelCode K"))
                district.returned.append(ReturnedError(.invalidGrade, record: record, line: line))
            }
            if tick == 19 {
                district.defects.append(PlantedDefect(kind: "exit_before_start", ssid: ssid, file: "SENR.txt", line: line, detail: "exit date before start date"))
                district.returned.append(ReturnedError(.exitBeforeStart, record: record, line: line))
            }
            if tick == 29 {
                district.defects.append(PlantedDefect(kind: "completer_without_status", ssid: ssid, file: "SENR.txt", line: line, detail: "E230 exit without completion status"))
                district.returned.append(ReturnedError(.completerWithoutStatus, record: record, line: line))
            }
            // Errors only the state can see: Tally has no rule for them (it cannot know the state's records).
            if tick == 37 {
                district.defects.append(PlantedDefect(kind: "ssid_not_in_ods", ssid: ssid, file: "SENR.txt", line: line,
                                                      detail: "CALPADS does not know this SSID (SENR0007)"))
                district.returned.append(ReturnedError(.ssidNotInODS, record: record, line: line))
            }
            if tick == 41 {
                district.defects.append(PlantedDefect(kind: "retired_ssid_mismatch", ssid: ssid, file: "SENR.txt", line: line,
                                                      detail: "the SSID's gender and birth year differ in CALPADS (SENR0072)"))
                district.returned.append(ReturnedError(.retiredSSIDMismatch, record: record, line: line))
            }
            if tick == 43 {
                // Raised only by the resubmission: the state retired this SSID between the two uploads.
                district.returned.append(ReturnedError(.ssidNotInODS, record: record, line: line, resubmission: .new))
            }
            if tick == 49, startYear >= 2023 {
                district.defects.append(PlantedDefect(kind: "exemption_not_graduate", ssid: ssid, file: "SENR.txt", line: line,
                                                      detail: "Graduation Exemption Indicator Y without completion status 100"))
                district.returned.append(ReturnedError(.exemptionNotGraduate, record: record, line: line))
            }
            if tick == 47 {
                // A secondary enrollment at another school exited with a transfer code, not E170.
                var secondary = record
                secondary["SchoolOfAttendance"] = schools[(schools.firstIndex(of: school).map { $0 + 1 } ?? 0) % schools.count]
                secondary["EnrollmentStatusCode"] = "20"
                secondary["EnrollmentSchoolExitDate"] = ymd(firstDay + 10)
                secondary["StudentExitReasonCode"] = "T160"
                secondary["LocalRecordID"] = CalpadsReturnsSample.recordID(senr.lines + 1)
                let l = senr.append(secondary)
                district.enrollments.append(SampleEnrollment(ssid: ssid, school: secondary["SchoolOfAttendance"] ?? "", grade: grade,
                                                             status: "20", start: firstDay, exit: firstDay + 10, exitReason: "T160", line: l))
                district.defects.append(PlantedDefect(kind: "secondary_exit_reason", ssid: ssid, file: "SENR.txt", line: l,
                                                      detail: "secondary enrollment exited T160, not E170"))
                district.returned.append(ReturnedError(.secondaryExitReason, record: secondary, line: l))
            }
            if tick == 23 {
                // A second enrollment at the same school that starts before the first one ends.
                var again = record
                again["EnrollmentSchoolStartDate"] = ymd(firstDay + 30)
                again["EnrollmentSchoolExitDate"] = ""
                again["StudentExitReasonCode"] = ""
                again["LocalRecordID"] = CalpadsReturnsSample.recordID(senr.lines + 1)
                let l = senr.append(again)
                district.returned.append(ReturnedError(.overlapping, record: again, line: l))
                district.enrollments.append(SampleEnrollment(ssid: ssid, school: school, grade: grade, status: "10",
                                                             start: firstDay + 30, exit: nil, exitReason: nil, line: l))
                district.defects.append(PlantedDefect(kind: "overlapping_enrollment", ssid: ssid, file: "SENR.txt", line: l,
                                                      detail: "starts before the earlier enrollment at \(school) ends"))
            }
            if tick == 3 {
                // A second open primary enrollment at another school.
                let other = schools[(schools.firstIndex(of: school).map { $0 + 1 } ?? 0) % schools.count]
                record["SchoolOfAttendance"] = other
                record["EnrollmentSchoolStartDate"] = ymd(firstDay + 20)
                record["EnrollmentSchoolExitDate"] = ""
                record["StudentExitReasonCode"] = ""
                record["LocalRecordID"] = CalpadsReturnsSample.recordID(senr.lines + 1)
                let second = senr.append(record)
                district.returned.append(ReturnedError(.duplicatePrimary, record: record, line: second))
                district.enrollments.append(SampleEnrollment(ssid: ssid, school: other, grade: grade, status: "10",
                                                             start: firstDay + 20, exit: nil, exitReason: nil, line: second))
                district.defects.append(PlantedDefect(kind: "duplicate_primary", ssid: ssid, file: "SENR.txt", line: second,
                                                      detail: "also open at \(school)"))
            } else if rng.chance(0.02), !DistrictGenerator.plantedTicks.contains(tick) {
                // A legitimate secondary (status 20) enrollment elsewhere: not counted on Census Day.
                var secondary = record
                secondary["SchoolOfAttendance"] = schools[(schools.firstIndex(of: school).map { $0 + 1 } ?? 0) % schools.count]
                secondary["EnrollmentStatusCode"] = "20"
                // A secondary enrollment is exited with E170 (SENR0302).
                if secondary["StudentExitReasonCode"]?.isEmpty == false { secondary["StudentExitReasonCode"] = "E170" }
                secondary["LocalRecordID"] = CalpadsReturnsSample.recordID(senr.lines + 1)
                let l = senr.append(secondary)
                district.enrollments.append(SampleEnrollment(ssid: ssid, school: secondary["SchoolOfAttendance"] ?? "", grade: grade,
                                                             status: "20", start: start, exit: exit, exitReason: exit == nil ? nil : "E170", line: l))
            }
            // SINF: everyone but the planted missing ones.
            if tick == 5 {
                district.defects.append(PlantedDefect(kind: "missing_sinf", ssid: ssid, file: "SENR.txt", line: line, detail: "no SINF record"))
            } else {
                _ = sinf.append([
                    "RecordTypeCode": "SINF", "EffectiveStartDate": ymd(firstDay), "ReportingLEA": options.lea,
                    "SchoolOfAttendance": school, "AcademicYearID": options.academicYear, "SSID": ssid, "LocalStudentID": local,
                    "StudentLegalFirstName": first, "StudentLegalLastName": last, "StudentBirthDate": ymd(birth),
                    "StudentGenderCode": gender, "StudentBirthCountryCode": "US",
                    "StudentHispanicEthnicityIndicator": rng.chance(0.5) ? "Y" : "N", "StudentEthnicityMissingIndicator": "N",
                    "StudentRace1Code": rng.pick(["100", "201", "204", "299", "400", "600", "700"]), "StudentRaceMissingIndicator": "N",
                    "AddressLine1": "\(rng.int(100..<9999)) Main St", "AddressCityName": "Sample City",
                    "AddressStateProvinceCode": "CA", "AddressZipCode": "9\(rng.int(1000..<6999))",
                    "ParentGuardianHighestEducationLevelCode": rng.pick(["10", "11", "12", "13", "14", "15"]),
                    // Guardian 1's names go with the education level (SINF0453).
                    "Guardian1FirstName": "Guardian", "Guardian1LastName": last,
                ])
                district.sinfSSIDs.insert(ssid)
            }
            // Programs: free or reduced-price meals, foster, homeless.
            for (code, p) in [("181", 0.45), ("182", 0.08), ("193", 0.01), ("191", 0.02)] where rng.chance(p) {
                // Only programs the code sets make effective in the year (193, foster, from 2020-21).
                guard CalpadsCodes.effective("ProgramMembership", code, year: startYear) else { continue }
                _ = sprg.append([
                    "RecordTypeCode": "SPRG", "ReportingLEA": options.lea, "SchoolOfAttendance": school,
                    "AcademicYearID": options.academicYear, "SSID": ssid, "LocalStudentID": local,
                    "StudentLegalFirstName": first, "StudentLegalLastName": last, "StudentBirthDate": ymd(birth),
                    "StudentGenderCode": gender, "EducationProgramCode": code,
                    "EducationProgramMembershipStartDate": ymd(firstDay),
                    // A homeless program record gives the dwelling type.
                    "HomelessDwellingTypeCode": code == "191" ? "110" : "",
                ])
                if code == "181" || code == "182" { district.frpm.insert(ssid) }
                if code == "193" { district.foster.insert(ssid) }
                if code == "181" { break }
            }
            let englishStatus = rng.pick(["EO", "EO", "EO", "IFEP", "EL", "EL", "RFEP"])
            if englishStatus == "EL" { district.englishLearners.insert(ssid) }
            let elasStart = min(birth + 365 * 5, firstDay)
            let picked = rng.pick(startYear >= 2023 ? ["eng", "spa", "vie", "zho"] : ["00", "01", "02", "07"])
            // English only for EO, never for another status (SELA0280).
            let english = startYear >= 2023 ? "eng" : "00", spanish = startYear >= 2023 ? "spa" : "01"
            let language = englishStatus == "EO" ? english : picked == english ? spanish : picked
            // An English learner is in a language instruction program at the school (SENR0644F1, CERT146).
            if englishStatus == "EL", startYear >= 2020 {
                _ = sprg.append([
                    "RecordTypeCode": "SPRG", "ReportingLEA": options.lea, "SchoolOfAttendance": school,
                    "AcademicYearID": options.academicYear, "SSID": ssid, "LocalStudentID": local,
                    "StudentLegalFirstName": first, "StudentLegalLastName": last, "StudentBirthDate": ymd(birth),
                    "StudentGenderCode": gender, "EducationProgramCode": "300", "EducationProgramMembershipStartDate": ymd(firstDay),
                ])
            }
            // EL and IFEP statuses from July 1, 2020 reach CALPADS from TOMS: the upload leaves them out (SELA0520).
            let fromTOMS = (englishStatus == "EL" || englishStatus == "IFEP") && elasStart >= (DateCodec.days(year: 2020, month: 7, day: 1) ?? 0)
            if !fromTOMS { _ = sela.append([
                "RecordTypeCode": "SELA", "ReportingLEA": options.lea, "SchoolOfAttendance": school,
                "AcademicYearID": options.academicYear, "SSID": ssid, "StudentLegalFirstName": first, "StudentLegalLastName": last,
                "StudentBirthDate": ymd(birth), "StudentGenderCode": gender, "LocalStudentID": local,
                "EnglishAcquisitionStatusCode": englishStatus,
                "EnglishLanguageAcquisitionStatusStartDate": ymd(elasStart), // English, Spanish, Vietnamese, Chinese in the year's code set (ISO 639-2 from 2023-24: Flash #256).
                "PrimaryLanguageCode": language,
            ]) }
            // SIS: everyone except the planted state-only students; a few grade mismatches.
            if tick == 11 {
                district.defects.append(PlantedDefect(kind: "missing_from_sis", ssid: ssid, file: "SENR.txt", line: line,
                                                      detail: "enrolled in SENR, absent from the SIS export"))
            } else {
                var sisGrade = grade == "K" ? "KN" : grade
                if tick == 13 {
                    sisGrade = grades[(gradeIndex + 1) % grades.count]
                    district.defects.append(PlantedDefect(kind: "sis_grade_mismatch", ssid: ssid, file: "sis_enrollment.csv",
                                                          line: district.sisRows.count + 2, detail: "SIS grade \(sisGrade), SENR grade \(grade)"))
                }
                let lastCSV = last == "O'Neil" && i % 2 == 0 ? "\"O'Neil, Jr.\"" : last
                // The SIS shows the student's current enrollment (the later one where two were planted).
                let sisStart = tick == 23 ? firstDay + 30 : start
                let sisExit = tick == 23 ? nil : exit
                sis += "\(ssid),\(local),\(school),\(sisGrade),\(mdy(sisStart)),\(sisExit.map(mdy) ?? ""),\(lastCSV),\(first),\(mdy(birth))\n"
                district.sisRows.append((ssid, school, sisGrade))
            }
            if tick == 17 {
                // In the SIS but never sent to the state.
                let ghost = String(9_000_000_000 + i)
                sis += "\(ghost),\(900_000 + i),\(school),\(grade == "K" ? "KN" : grade),\(mdy(firstDay)),,Ghost,Student,\(mdy(birth))\n"
                district.sisRows.append((ghost, school, grade == "K" ? "KN" : grade))
                district.defects.append(PlantedDefect(kind: "missing_from_state", ssid: ghost, file: "sis_enrollment.csv",
                                                      line: district.sisRows.count + 1, detail: "in the SIS, absent from SENR"))
            }
        }
        if options.plant == .rules { extras.plantRules(perRule: max(1, options.students / 600), senr: &senr, sinf: &sinf, sprg: &sprg, sela: &sela) }
        try senr.write(to: folder + "/SENR.txt")
        try sinf.write(to: folder + "/SINF.txt")
        try sprg.write(to: folder + "/SPRG.txt")
        try sela.write(to: folder + "/SELA.txt")
        if options.plant != .defects { try extras.write(to: folder) }
        district.plantedFindings = extras.planted
        try Data(sis.utf8).write(to: URL(fileURLWithPath: folder + "/sis_enrollment.csv"))
        try CalpadsReturnsSample.write(district, senrLayout: senrLayout, to: folder)
        var manifest = "kind,SSID,file,line,detail\n"
        for d in district.defects { manifest += "\(d.kind),\(d.ssid),\(d.file),\(d.line),\"\(d.detail)\"\n" }
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: folder + "/defects.csv"))
        return district
    }
}

/// Accumulates CALPADS records (caret-delimited, CR LF) in layout order.
struct CaretFile {
    let layout: CalpadsLayout
    var bytes: [UInt8] = []
    var lines = 0

    init(layout: CalpadsLayout) { self.layout = layout }

    mutating func append(_ values: [String: String]) -> Int {
        for (k, field) in layout.fields.enumerated() {
            if k > 0 { bytes.append(UInt8(ascii: "^")) }
            if let v = values[field.name] { bytes.append(contentsOf: v.utf8) }
        }
        bytes.append(13); bytes.append(10)
        lines += 1
        return lines
    }

    func write(to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
