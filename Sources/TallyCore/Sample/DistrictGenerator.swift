import Foundation
import TallyModel

/// A defect the generator planted on purpose, so tests and analysts know the right answers.
public struct PlantedDefect: Sendable, Equatable {
    public var kind: String
    public var ssid: String
    public var file: String
    public var line: Int
    public var detail: String
}

/// The programs Report 1.17 counts, as flags of a generated enrollment's student.
public struct SamplePrograms: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let frpm = SamplePrograms(rawValue: 1), englishLearner = SamplePrograms(rawValue: 2)
    public static let foster = SamplePrograms(rawValue: 4), homeless = SamplePrograms(rawValue: 8)
    public static let migrant = SamplePrograms(rawValue: 16), directCertified = SamplePrograms(rawValue: 32)
    public static let tribalFoster = SamplePrograms(rawValue: 64)
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
    /// The student's programs (the same on each of the student's enrollments).
    public var programs: SamplePrograms = []
}

/// The generated district, as records and as the files written from them.
public struct SampleDistrict: Sendable {
    public var lea: String
    public var academicYear: String
    public var censusDay: Int32
    public var schools: [String]
    /// Each school's name and grade span, in the order of `schools`.
    public var schoolDetails: [SampleSchool] = []
    public var enrollments: [SampleEnrollment]
    /// SSIDs with a SINF record.
    public var sinfSSIDs: Set<String>
    /// SIS rows: (SSID, school, grade).
    public var sisRows: [(ssid: String, school: String, grade: String)]
    public var defects: [PlantedDefect]
    /// What CALPADS would send back for this district's SENR (see `CalpadsReturnsSample`).
    public var returned: [ReturnedError] = []
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
    public static let grades = ["TK", "KN", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"]

    /// The default defects, planted at positions of the student index modulo the defect
    /// interval (200 students); kinds recur at different rates, as real errors do.
    enum Plant {
        case duplicatePrimary, missingSINF, invalidGrade, missingFromSIS, sisGradeMismatch, missingFromState, exitBeforeStart
        case overlapping, completerWithoutStatus, graduate, ssidNotInODS, retiredSSID, retiredBetweenUploads, secondaryExitReason
        case exemptionNotGraduate
    }
    static let plantedAt: [Int: Plant] = [
        3: .duplicatePrimary, 113: .duplicatePrimary, 5: .missingSINF, 105: .missingSINF, 7: .invalidGrade,
        11: .missingFromSIS, 71: .missingFromSIS, 13: .sisGradeMismatch, 17: .missingFromState, 19: .exitBeforeStart, 89: .exitBeforeStart,
        169: .exitBeforeStart, 23: .overlapping, 29: .completerWithoutStatus, 31: .graduate, 131: .graduate,
        37: .ssidNotInODS, 137: .ssidNotInODS, 41: .retiredSSID, 43: .retiredBetweenUploads, 47: .secondaryExitReason,
        147: .secondaryExitReason, 49: .exemptionNotGraduate,
    ]

    /// Transfers out before Census Day, weighted: mostly to another California public school.
    static let transferReasons = ["T160", "T160", "T160", "T160", "T160", "T160", "T165", "T180", "T180", "T200"]
    /// EL and IFEP statuses that begin on or after this day come to CALPADS from TOMS, not the upload.
    static let tomsStart = DateCodec.days(year: 2020, month: 7, day: 1) ?? 0
    static let dwellings = ["110", "110", "110", "110", "110", "110", "110", "100", "130", "120"]
    static let education = ["10", "11", "11", "12", "12", "13", "13", "14", "14", "15"]

    /// First Wednesday in October of the academic year's first calendar year.
    public static func censusDay(startYear: Int) -> Int32 {
        let first = DateCodec.days(year: startYear, month: 10, day: 1) ?? 0
        // 1970-01-01 was a Thursday: weekday 0 = Thursday ... 6 = Wednesday.
        let weekday = ((Int(first) % 7) + 7) % 7
        return first + Int32((6 - weekday + 7) % 7)
    }

    /// A record's Local Record ID: the SIS's key of the record (here its file's prefix and line).
    static func recordID(_ prefix: String, _ line: Int) -> String {
        let digits = String(line)
        return prefix + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
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
            let selaLayout = CalpadsLayouts.layout("SELA", year: startYear)
        else {
            throw Diagnostic(.unknownLayout, .error, "no CALPADS layouts for \(options.academicYear)", file: folder)
        }
        var rng = SeededRandom(seed: options.seed)
        let census = censusDay(startYear: startYear)
        let firstDay = DateCodec.days(year: startYear, month: 8, day: 14) ?? 0
        let population = SamplePopulation(students: options.students, year: startYear)
        let schools = population.schools.map(\.code)
        var district = SampleDistrict(
            lea: options.lea, academicYear: options.academicYear, censusDay: census, schools: schools,
            enrollments: [], sinfSSIDs: [], sisRows: [], defects: [])
        district.schoolDetails = population.schools
        let defectEvery = max(50, options.students / max(1, options.students / 200))
        var senr = CaretFile(layout: senrLayout), sinf = CaretFile(layout: sinfLayout)
        var sprg = CaretFile(layout: sprgLayout), sela = CaretFile(layout: selaLayout)
        var sis = "SSID,LocalID,School,Grade,EntryDate,ExitDate,LastName,FirstName,BirthDate\n"
        // --plant rules and --plant none also write the other files, clean, with a teacher per school.
        var extras = RulePlants(year: startYear, lea: options.lea, schools: schools)
        // Planted students are tenth graders (the clean records' grade): at high schools.
        extras.plantSchools = population.schools.filter { $0.grades.contains(11) }.map(\.code)
        if options.plant != .defects { extras.writeStaff() }
        // Dates repeat (the first day, birthdays): format each once.
        var ymdCache: [Int32: String] = [:], mdyCache: [Int32: String] = [:]
        func ymd(_ d: Int32) -> String {
            if let s = ymdCache[d] { return s }
            let s = DateCodec.format(d, "YYYYMMDD")
            ymdCache[d] = s
            return s
        }
        func mdy(_ d: Int32) -> String {
            if let s = mdyCache[d] { return s }
            let s = DateCodec.format(d, "MM/DD/YYYY")
            mdyCache[d] = s
            return s
        }

        for i in 0..<options.students {
            let ssid = String(1_000_000_000 + (i &* 7_919) % 8_999_999_999)
            let local = String(100_000 + i)
            // The default defects are planted at positions; --plant rules and none plant none of them.
            let plant = options.plant == .defects ? plantedAt[i % defectEvery] : nil
            // Planted completers are twelfth graders of the right age.
            var gradeIndex = population.pickGrade(&rng)
            if plant == .completerWithoutStatus || plant == .graduate { gradeIndex = grades.count - 1 }
            let schoolIndex = population.pickSchool(grade: gradeIndex, &rng)
            let school = schools[schoolIndex]
            var grade = grades[gradeIndex]
            let birthYear: Int = startYear - 5 - gradeIndex + (gradeIndex == 0 ? 1 : 0)
            let birth = DateCodec.days(year: birthYear, month: rng.int(1..<13), day: rng.int(1..<29)) ?? 0
            let person = population.student(grade: gradeIndex, &rng)
            let (first, last) = (person.first, person.last)
            // Most students are primary enrollments (10) all year; a few left before Census Day,
            // started after it, are short-term (30, at most 30 days) or non-ADA (50).
            var status = "10", start = firstDay
            var exit: Int32? = nil
            var reason: String? = nil
            let draw = rng.int(0..<1_000)
            if draw < 30 {
                exit = census - Int32(rng.int(5..<30)); reason = rng.pick(transferReasons)
            } else if draw < 50 {
                start = census + Int32(rng.int(5..<40))
            } else if draw < 55 {
                status = "30"; start = firstDay + Int32(rng.int(10..<150)); exit = start + Int32(rng.int(5..<29)); reason = "T160"
            } else if draw < 58 {
                status = "50"
            }
            // Planted defects start from a plain open enrollment, so each gives exactly one finding.
            if plant != nil { status = "10"; start = firstDay; exit = nil; reason = nil }
            // Programs run while the enrollment does.
            let programStart = start, programEnd = exit
            if plant == .invalidGrade { grade = "K" }
            var completion: String? = nil
            if plant == .exitBeforeStart { exit = firstDay - 3; reason = "T160"; start = firstDay }
            if plant == .completerWithoutStatus { grade = "12"; exit = firstDay + 30; reason = "E230" }
            if plant == .graduate { grade = "12"; exit = firstDay + 30; reason = "E230"; completion = "100" }
            // A graduate exited after June 30, 2023 carries the Graduation Exemption Indicator (SENR0632);
            // a student who did not graduate has one where planted (SENR0630, from 2023-24).
            let exemption = completion == "100" && startYear >= 2023 ? "N" : plant == .exemptionNotGraduate && startYear >= 2023 ? "Y" : ""
            if plant == .overlapping { exit = firstDay + 40; reason = "T160"; start = firstDay }
            var record: [String: String] = [
                "RecordTypeCode": "SENR", "LocalRecordID": recordID("ENR-", senr.lines + 1), "ReportingLEA": options.lea,
                "SchoolOfAttendance": school,
                "AcademicYearID": options.academicYear, "SSID": ssid, "LocalStudentID": local,
                "StudentLegalFirstName": first, "StudentLegalMiddleName": person.middle, "StudentLegalLastName": last,
                "StudentBirthDate": ymd(birth), "StudentGenderCode": person.gender, "StudentBirthCountryCode": person.birthCountry,
                "EnrollmentSchoolStartDate": ymd(start), "EnrollmentStatusCode": status, "GradeLevelCode": grade,
                "EnrollmentSchoolExitDate": exit.map(ymd) ?? "", "StudentExitReasonCode": reason ?? "",
                "StudentSchoolCompletionStatus": completion ?? "", "GraduationExemptionIndicator": exemption,
            ]
            var programs: SamplePrograms = []
            if person.frpm != nil { programs.insert(.frpm) }
            if person.englishStatus == "EL" { programs.insert(.englishLearner) }
            if person.foster { programs.insert(.foster) }
            // Tribal foster youth: foster youth who are American Indian (not of Hispanic ethnicity here).
            if person.foster, !person.hispanic, person.races.contains("100") { programs.insert(.tribalFoster) }
            if person.homeless { programs.insert(.homeless) }
            if person.migrant { programs.insert(.migrant) }
            if person.directCertified { programs.insert(.directCertified) }
            func enroll(_ r: [String: String], _ line: Int, start: Int32, exit: Int32?, reason: String?) {
                district.enrollments.append(
                    SampleEnrollment(
                        ssid: ssid, school: r["SchoolOfAttendance"] ?? "", grade: r["GradeLevelCode"] ?? "",
                        status: r["EnrollmentStatusCode"] ?? "", start: start, exit: exit,
                        exitReason: reason, line: line, programs: programs))
            }
            func defect(_ kind: String, _ line: Int, _ detail: String, file: String = "SENR.txt") {
                district.defects.append(PlantedDefect(kind: kind, ssid: ssid, file: file, line: line, detail: detail))
            }
            let line = senr.append(record)
            if options.plant != .defects { extras.writeStudent(record, index: i, grade: grade, absences: status != "50") }
            enroll(record, line, start: start, exit: exit, reason: reason)
            switch plant {
            case .invalidGrade?:
                defect("invalid_grade", line, "GradeLevelCode K")
                district.returned.append(ReturnedError(.invalidGrade, record: record, line: line))
            case .exitBeforeStart?:
                defect("exit_before_start", line, "exit date before start date")
                district.returned.append(ReturnedError(.exitBeforeStart, record: record, line: line))
            case .completerWithoutStatus?:
                defect("completer_without_status", line, "E230 exit without completion status")
                district.returned.append(ReturnedError(.completerWithoutStatus, record: record, line: line))
            // Errors only the state can see: Tally has no rule for them (it cannot know the state's records).
            case .ssidNotInODS?:
                defect("ssid_not_in_ods", line, "CALPADS does not know this SSID (SENR0007)")
                district.returned.append(ReturnedError(.ssidNotInODS, record: record, line: line))
            case .retiredSSID?:
                defect("retired_ssid_mismatch", line, "the SSID's gender and birth year differ in CALPADS (SENR0072)")
                district.returned.append(ReturnedError(.retiredSSIDMismatch, record: record, line: line))
            case .retiredBetweenUploads?:
                // Raised only by the resubmission: the state retired this SSID between the two uploads.
                district.returned.append(ReturnedError(.ssidNotInODS, record: record, line: line, resubmission: .new))
            case .exemptionNotGraduate? where startYear >= 2023:
                defect("exemption_not_graduate", line, "Graduation Exemption Indicator Y without completion status 100")
                district.returned.append(ReturnedError(.exemptionNotGraduate, record: record, line: line))
            case .secondaryExitReason?:
                // A secondary enrollment at another school exited with a transfer code, not E170.
                var secondary = record
                secondary["SchoolOfAttendance"] = schools[population.otherSchool(than: schoolIndex, grade: gradeIndex)]
                secondary["EnrollmentStatusCode"] = "20"
                secondary["EnrollmentSchoolExitDate"] = ymd(firstDay + 10)
                secondary["StudentExitReasonCode"] = "T160"
                secondary["LocalRecordID"] = recordID("ENR-", senr.lines + 1)
                let l = senr.append(secondary)
                enroll(secondary, l, start: firstDay, exit: firstDay + 10, reason: "T160")
                defect("secondary_exit_reason", l, "secondary enrollment exited T160, not E170")
                district.returned.append(ReturnedError(.secondaryExitReason, record: secondary, line: l))
            case .overlapping?:
                // A second enrollment at the same school that starts before the first one ends.
                var again = record
                again["EnrollmentSchoolStartDate"] = ymd(firstDay + 30)
                again["EnrollmentSchoolExitDate"] = ""
                again["StudentExitReasonCode"] = ""
                again["LocalRecordID"] = recordID("ENR-", senr.lines + 1)
                let l = senr.append(again)
                district.returned.append(ReturnedError(.overlapping, record: again, line: l))
                enroll(again, l, start: firstDay + 30, exit: nil, reason: nil)
                defect("overlapping_enrollment", l, "starts before the earlier enrollment at \(school) ends")
            case .duplicatePrimary?:
                // A second open primary enrollment at another school serving the grade.
                let other = schools[population.otherSchool(than: schoolIndex, grade: gradeIndex)]
                record["SchoolOfAttendance"] = other
                record["EnrollmentSchoolStartDate"] = ymd(firstDay + 20)
                record["EnrollmentSchoolExitDate"] = ""
                record["StudentExitReasonCode"] = ""
                record["LocalRecordID"] = recordID("ENR-", senr.lines + 1)
                let second = senr.append(record)
                district.returned.append(ReturnedError(.duplicatePrimary, record: record, line: second))
                enroll(record, second, start: firstDay + 20, exit: nil, reason: nil)
                defect("duplicate_primary", second, "also open at \(school)")
            default:
                if plant == nil, status == "10", rng.chance(0.02) {
                    // A legitimate secondary (status 20) enrollment at another school serving the grade:
                    // not counted on Census Day; exited with E170 (SENR0302).
                    var secondary = record
                    secondary["SchoolOfAttendance"] = schools[population.otherSchool(than: schoolIndex, grade: gradeIndex)]
                    secondary["EnrollmentStatusCode"] = "20"
                    if exit != nil { secondary["StudentExitReasonCode"] = "E170" }
                    secondary["LocalRecordID"] = recordID("ENR-", senr.lines + 1)
                    enroll(secondary, senr.append(secondary), start: start, exit: exit, reason: exit == nil ? nil : "E170")
                } else if plant == nil, status == "10", exit == nil, options.plant == .defects, rng.chance(0.07) {
                    // Another LEA also has the student primarily enrolled: CALPADS warns (SENR0028, a
                    // concurrent enrollment only the state can see); the record is still posted.
                    defect("concurrent_enrollment", line, "a primary enrollment in another LEA overlaps this one (SENR0028, a warning)")
                    district.returned.append(ReturnedError(.concurrentEnrollment, record: record, line: line))
                }
            }
            // SINF: everyone but the planted missing ones.
            if plant == .missingSINF {
                defect("missing_sinf", line, "no SINF record")
            } else {
                // Households live near their school: mostly the school's city.
                let city = SampleNames.cities[
                    rng.chance(0.85) ? schoolIndex % SampleNames.cities.count : rng.int(0..<SampleNames.cities.count)]
                var info: [String: String] = [
                    "RecordTypeCode": "SINF", "LocalRecordID": recordID("INF-", sinf.lines + 1), "EffectiveStartDate": ymd(firstDay),
                    "ReportingLEA": options.lea, "SchoolOfAttendance": school, "AcademicYearID": options.academicYear, "SSID": ssid,
                    "LocalStudentID": local, "StudentLegalFirstName": first, "StudentLegalMiddleName": person.middle,
                    "StudentLegalLastName": last,
                    "StudentBirthDate": ymd(birth), "StudentGenderCode": person.gender, "StudentBirthCountryCode": person.birthCountry,
                    "StudentHispanicEthnicityIndicator": person.hispanic ? "Y" : "N", "StudentEthnicityMissingIndicator": "N",
                    "StudentRace1Code": person.races[0], "StudentRace2Code": person.races.count > 1 ? person.races[1] : "",
                    "StudentRaceMissingIndicator": "N",
                    "AddressLine1": SamplePopulation.streetLine(&rng), "AddressCityName": city.name,
                    "AddressStateProvinceCode": "CA", "AddressZipCode": rng.pick(city.zips),
                    // Guardian 1's names go with the education level (SINF0453).
                    "ParentGuardianHighestEducationLevelCode": rng.pick(education),
                    "Guardian1FirstName": person.guardian1.0, "Guardian1LastName": person.guardian1.1,
                ]
                if let (first2, last2) = person.guardian2 {
                    info["Guardian2FirstName"] = first2
                    info["Guardian2LastName"] = last2
                }
                _ = sinf.append(info)
                district.sinfSSIDs.insert(ssid)
            }
            // Programs: meals, homeless, foster, migrant and, for English learners, a language
            // instruction program (300–306), each while the enrollment runs.
            func program(_ code: String, _ more: [String: String] = [:]) {
                // Only programs the code sets make effective in the year (193, foster, from 2020-21).
                guard CalpadsCodes.effective("ProgramMembership", code, year: startYear) else { return }
                var r: [String: String] = [
                    "RecordTypeCode": "SPRG", "LocalRecordID": recordID("PRG-", sprg.lines + 1), "ReportingLEA": options.lea,
                    "SchoolOfAttendance": school, "AcademicYearID": options.academicYear, "SSID": ssid, "LocalStudentID": local,
                    "StudentLegalFirstName": first, "StudentLegalLastName": last, "StudentBirthDate": ymd(birth),
                    "StudentGenderCode": person.gender, "EducationProgramCode": code, "EducationProgramMembershipCode": "1",
                    "EducationProgramMembershipStartDate": ymd(programStart),
                    "EducationProgramMembershipEndDate": programEnd.map(ymd) ?? "",
                ]
                for (k, v) in more { r[k] = v }
                _ = sprg.append(r)
            }
            if let meals = person.frpm { program(meals) }
            // A homeless program record gives the dwelling type.
            if person.homeless { program("191", ["HomelessDwellingTypeCode": rng.pick(dwellings)]) }
            if person.foster { program("193") }
            if person.migrant { program("135", ["MigrantStudentID": String(30_000_000_000 + i)]) }
            if person.englishStatus == "EL" { program(rng.pick(languagePrograms)) }
            // ELAS: EO, EL and IFEP from entering school; RFEP from the day the student was reclassified.
            let entry = min(birth + 365 * 5, firstDay)
            let elasStart = person.englishStatus == "RFEP" ? min(firstDay - 1, entry + 730 + Int32(rng.int(0..<1_800))) : entry
            // EL and IFEP statuses from July 1, 2020 reach CALPADS from TOMS (the ELPAC): the upload
            // leaves them out (SELA0520).
            let fromTOMS = (person.englishStatus == "EL" || person.englishStatus == "IFEP") && elasStart >= Self.tomsStart
            if !fromTOMS {
                _ = sela.append([
                    "RecordTypeCode": "SELA", "LocalRecordID": recordID("ELA-", sela.lines + 1), "ReportingLEA": options.lea,
                    "SchoolOfAttendance": school, "AcademicYearID": options.academicYear, "SSID": ssid, "StudentLegalFirstName": first,
                    "StudentLegalLastName": last, "StudentBirthDate": ymd(birth), "StudentGenderCode": person.gender,
                    "LocalStudentID": local,
                    "EnglishAcquisitionStatusCode": person.englishStatus, "EnglishLanguageAcquisitionStatusStartDate": ymd(elasStart),
                    "PrimaryLanguageCode": person.language,
                ])
            }
            // SIS (its export of primary enrollments): everyone primarily enrolled except the
            // planted state-only students; a few grade mismatches.
            if plant == .missingFromSIS {
                defect("missing_from_sis", line, "enrolled in SENR, absent from the SIS export")
            } else if status == "10" {
                var sisGrade = grade == "K" ? "KN" : grade
                if plant == .sisGradeMismatch {
                    sisGrade = grades[(gradeIndex + 1) % grades.count]
                    defect(
                        "sis_grade_mismatch", district.sisRows.count + 2, "SIS grade \(sisGrade), SENR grade \(grade)",
                        file: "sis_enrollment.csv")
                }
                let lastCSV = last == "O'Neil" && i % 2 == 0 ? "\"O'Neil, Jr.\"" : last
                // The SIS shows the student's current enrollment (the later one where two were planted).
                let sisStart = plant == .overlapping ? firstDay + 30 : start
                let sisExit = plant == .overlapping ? nil : exit
                sis +=
                    "\(ssid),\(local),\(school),\(sisGrade),\(mdy(sisStart)),\(sisExit.map(mdy) ?? ""),\(lastCSV),\(first),\(mdy(birth))\n"
                district.sisRows.append((ssid, school, sisGrade))
            }
            if plant == .missingFromState {
                // In the SIS but never sent to the state.
                let ghost = String(9_000_000_000 + i)
                let other = population.student(grade: gradeIndex, &rng)
                sis +=
                    "\(ghost),\(900_000 + i),\(school),\(grade == "K" ? "KN" : grade),\(mdy(firstDay)),,\(other.last),\(other.first),\(mdy(birth))\n"
                district.sisRows.append((ghost, school, grade == "K" ? "KN" : grade))
                district.defects.append(
                    PlantedDefect(
                        kind: "missing_from_state", ssid: ghost, file: "sis_enrollment.csv",
                        line: district.sisRows.count + 1, detail: "in the SIS, absent from SENR"))
            }
        }
        if options.plant == .rules {
            extras.plantRules(perRule: max(1, options.students / 600), senr: &senr, sinf: &sinf, sprg: &sprg, sela: &sela)
        }
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

    /// The language instruction programs for English learners (CALPADS codes 300–306 since
    /// 2019-20), weighted towards the first as most districts' main program; the weights are
    /// the sample's, not the state's.
    static let languagePrograms = ["300", "300", "300", "300", "300", "300", "300", "301", "302", "303", "303", "304", "305", "306"]
}

/// Accumulates CALPADS records (caret-delimited, CR LF) in layout order.
struct CaretFile {
    let layout: CalpadsLayout
    /// The layout's field names, in order (looked up once, not per record).
    let names: [String]
    var bytes: [UInt8] = []
    var lines = 0

    init(layout: CalpadsLayout) { self.layout = layout; names = layout.fields.map(\.name) }

    mutating func append(_ values: [String: String]) -> Int {
        for k in 0..<names.count {
            if k > 0 { bytes.append(UInt8(ascii: "^")) }
            if let v = values[names[k]] { bytes.append(contentsOf: v.utf8) }
        }
        bytes.append(13); bytes.append(10)
        lines += 1
        return lines
    }

    /// Writes the bytes without copying them first (a million students' SINF is ~190 MB).
    func write(to path: String) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return try Data().write(to: URL(fileURLWithPath: path)) }
            try Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none).write(
                to: URL(fileURLWithPath: path))
        }
    }
}
