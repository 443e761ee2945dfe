import ArgumentParser
import Foundation
import TallyCore
import TallyModel

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write a synthetic district (no real student data) to try playbooks on.",
        discussion:
            "tally sample calpads --students 1000 --seed 7 --out sample/ writes SENR.txt, SINF.txt, SPRG.txt, SELA.txt (CALPADS layouts), sis_enrollment.csv, defects.csv (the manifest of planted defects), and what CALPADS would send back for two uploads: ErrorReport_0.1_SENR.csv, SENR_rejected.txt and Report_1.17.csv, then ErrorReport_0.1_SENR_resubmission.csv, SENR_rejected_resubmission.txt and Report_1.17_resubmission.csv. --plant rules plants a defect for every CALPADS rule in force in the year instead (planted_rules.csv lists each finding validate must report: rule, file, line) and also writes STAS, SCSE, SCSC, SDEM, SASS, CRSE, CRSC, SOFF, SCTE, SPED (to 2022-23) and SWDS (from 2023-24); --plant none writes all of them clean."
    )

    @Argument(help: "What to generate: calpads.") var kind: String
    @Option(help: "Number of students.") var students: Int = 1000
    @Option(help: "Seed: the same seed always gives the same district.") var seed: UInt64 = 1
    @Option(help: "Academic year, e.g. 2024-2025.") var year: String = "2024-2025"
    @Option(help: "Folder to write to.") var out: String
    @Option(
        help:
            "What to plant: defects (the default: the examples' defects and what CALPADS sends back), rules (a defect for every CALPADS rule active in the year, listed in planted_rules.csv, and the staff, course, absence, offense and CTE files), or none (a clean district with all those files)."
    )
    var plant: String = "defects"

    func run() throws {
        guard kind == "calpads" else { throw ValidationError("tally sample knows one kind: calpads") }
        guard students > 0 else { throw ValidationError("--students must be at least 1") }
        guard CalpadsLayouts.startYear(year) != nil else { throw ValidationError("--year takes an academic year such as 2024-2025") }
        var options = SampleOptions()
        options.students = students
        options.seed = seed
        options.academicYear = year
        guard let mode = PlantMode(rawValue: plant) else { throw ValidationError("--plant takes defects, rules or none") }
        options.plant = mode
        do {
            let district = try DistrictGenerator.write(options, to: out)
            var kinds: [String: Int] = [:]
            for d in district.defects { kinds[d.kind, default: 0] += 1 }
            print(
                "wrote \(Format.count(district.enrollments.count)) enrollments for \(Format.count(students)) students at \(district.schools.count) schools to \(out)"
            )
            switch mode {
            case .defects:
                print(
                    "planted defects (see \(out)/defects.csv): "
                        + kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                let first = district.returned.filter { $0.resubmission != .new }
                let fatal = first.filter { $0.severity == "F" }.count
                print(
                    "CALPADS sends back \(Format.count(first.count)) errors for the first upload: \(Format.count(fatal)) fatal (F), \(Format.count(first.count - fatal)) warnings (W)"
                )
            case .rules:
                let rules = Set(district.plantedFindings.map(\.rule))
                print(
                    "planted \(Format.count(district.plantedFindings.count)) findings of \(rules.count) rules (see \(out)/planted_rules.csv); also wrote STAS, SCSE, SCSC, SDEM, SASS, CRSE, CRSC, SOFF and SCTE"
                )
            case .none:
                print("planted nothing: a clean district; also wrote STAS, SCSE, SCSC, SDEM, SASS, CRSE, CRSC, SOFF and SCTE")
            }
        } catch let d as Diagnostic {
            writeError(d.description)
            throw ExitCode(2)
        }
    }
}
