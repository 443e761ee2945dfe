import Foundation
import TallyModel

/// A school of the sample district and the grades it serves.
public struct SampleSchool: Sendable {
    public var code: String
    public var name: String
    /// Indexes into `DistrictGenerator.grades`: TK–5 or TK–6 (elementary), 6–8 (middle), 9–12 (high).
    public var grades: ClosedRange<Int>
}

/// One generated student's demographics and programs, drawn in proportions like California's
/// (CDE DataQuest and the CALPADS UPC file, 2023-24, rounded): EL ~18.6%, free or reduced-price
/// meals ~58%, homeless ~3.6%, foster ~0.5%, migrant ~1%, TK ~3.5% of students.
struct SampleStudent {
    var gender = "F"
    var first = "", middle = "", last = ""
    /// The guardians' names (guardian 2 only for some students).
    var guardian1 = ("", ""), guardian2: (String, String)? = nil
    var hispanic = false
    var races: [String] = []
    var birthCountry = "US"
    var englishStatus = "EO"
    var language = ""
    var frpm: String? = nil // "181" free, "182" reduced
    var directCertified = false
    var homeless = false, foster = false, migrant = false
}

/// The district's shape: schools with grade spans, grades in realistic shares, and students.
struct SamplePopulation {
    let year: Int
    let schools: [SampleSchool]
    /// For each grade index, the schools (indexes into `schools`) that serve it.
    let serving: [[Int]]
    /// Each heritage's languages as codes of the year's code set, with cumulative weights.
    let languages: [[(code: String, upTo: Double)]]

    /// Grade weights: TK about 3.5% of students (a TK class is about half a grade), the rest even.
    static let gradeWeights: [Int] = [47] + Array(repeating: 100, count: 13)

    init(students: Int, year: Int) {
        self.year = year
        // About 550 students a school; at least two of each level, so a student's second
        // enrollment can be at another school serving the same grade.
        let count = max(6, min(2_000, students / 550))
        let high = max(2, Int((Double(count) * 0.18).rounded())), middle = max(2, Int((Double(count) * 0.17).rounded()))
        let elementary = count - high - middle
        let namesakes = SampleNames.schoolNamesakes
        var schools: [SampleSchool] = []
        for k in 0..<count {
            // School codes are 7-digit text; the first one has a leading zero on purpose.
            let code = k == 0 ? "0112345" : String(6_000_001 + k * 1_733)
            let (level, grades): (String, ClosedRange<Int>) =
                k < elementary
                ? ("Elementary", k % 3 == 2 ? 0...7 : 0...6) : k < elementary + middle ? ("Middle", 7...9) : ("High", 10...13)
            let repeatNumber = k / namesakes.count
            let name = "\(namesakes[k % namesakes.count]) \(level)" + (repeatNumber > 0 ? " No. \(repeatNumber + 1)" : "")
            schools.append(SampleSchool(code: code, name: name, grades: grades))
        }
        self.schools = schools
        serving = (0..<DistrictGenerator.grades.count).map { g in schools.indices.filter { schools[$0].grades.contains(g) } }
        languages = SampleNames.heritages.map { h in
            var total = 0.0
            return h.languages.compactMap { entry -> (code: String, upTo: Double)? in
                guard let code = SamplePopulation.languageCode(entry.codes, old: entry.old, year: year) else { return nil }
                total += entry.weight
                return (code, total)
            }
        }
    }

    /// A language as the year's code set writes it: two digits through 2022-23, ISO 639
    /// letters from 2023-24 (CALPADS Flash #256); the first spelling the code set has.
    static func languageCode(_ candidates: [String], old: String, year: Int) -> String? {
        guard year >= 2023 else { return old }
        return candidates.first { CalpadsCodes.validLanguage($0, year: year) }
    }

    func pickGrade(_ rng: inout SeededRandom) -> Int {
        var r = rng.int(0..<1_347)
        for (g, w) in Self.gradeWeights.enumerated() {
            if r < w { return g }
            r -= w
        }
        return Self.gradeWeights.count - 1
    }

    func pickSchool(grade: Int, _ rng: inout SeededRandom) -> Int {
        let list = serving[grade]
        return list[rng.int(0..<list.count)]
    }

    /// Another school serving the grade (for a second enrollment).
    func otherSchool(than school: Int, grade: Int) -> Int {
        let list = serving[grade]
        let at = list.firstIndex(of: school) ?? 0
        return list[(at + 1) % list.count]
    }

    /// EL, RFEP and IFEP shares by grade band (ELs are most common in the early grades and are
    /// reclassified as they go up), before the heritage's weighting.
    static func englishShares(grade: Int) -> (el: Double, rfep: Double, ifep: Double) {
        switch grade {
        case 0...1: return (0.28, 0, 0.06)
        case 2...3: return (0.27, 0.03, 0.06)
        case 4...6: return (0.21, 0.12, 0.06)
        case 7...9: return (0.15, 0.25, 0.06)
        default: return (0.12, 0.30, 0.06)
        }
    }

    func student(grade: Int, _ rng: inout SeededRandom) -> SampleStudent {
        var s = SampleStudent()
        var r = Double.random(in: 0..<1, using: &rng)
        var hIndex = SampleNames.heritages.count - 1
        for (k, h) in SampleNames.heritages.enumerated() {
            if r < h.share { hIndex = k; break }
            r -= h.share
        }
        let h = SampleNames.heritages[hIndex]
        let g = rng.int(0..<1_000)
        s.gender = g < 497 ? "M" : g < 997 ? "F" : "X"
        let firsts = s.gender == "M" ? h.male : s.gender == "F" ? h.female : (rng.chance(0.5) ? h.male : h.female)
        s.first = rng.pick(firsts)
        // Two given names, as many Hispanic and Filipino families give them (Juan Pablo, Mary Grace).
        if rng.chance(h.hispanic || h.name == "Filipino" ? 0.12 : 0.02) {
            let second = rng.pick(firsts)
            if second != s.first, s.first.count + second.count < 29 { s.first += " " + second }
        }
        // Middle names: none for some, often another given name of the heritage, else a common one.
        s.middle =
            rng.chance(0.3)
            ? ""
            : rng.chance(0.5)
                ? rng.pick(firsts)
                : rng.pick(s.gender == "M" || (s.gender == "X" && rng.chance(0.5)) ? SampleNames.middleMale : SampleNames.middleFemale)
        if s.middle == s.first { s.middle = "" }
        s.last = rng.pick(h.last)
        // Compound surnames: two family names, hyphenated or not.
        if h.hispanic, rng.chance(0.12) {
            s.last += (rng.chance(0.5) ? "-" : " ") + rng.pick(h.last)
        } else if rng.chance(0.03) {
            s.last += "-" + rng.pick(h.last)
        }
        s.hispanic = h.hispanic
        // Guardians: of the student's heritage; mostly the student's surname.
        s.guardian1 = (rng.pick(rng.chance(0.6) ? h.female : h.male), rng.chance(0.8) ? s.last : rng.pick(h.last))
        if rng.chance(0.45) { s.guardian2 = (rng.pick(h.male), rng.chance(0.7) ? s.last : s.guardian1.1) }
        s.races = [rng.pick(h.races)]
        if h.name == "Two or more" {
            let second = rng.pick(h.races)
            if second != s.races[0] { s.races.append(second) }
        }
        let shares = Self.englishShares(grade: grade)
        let scale = min(h.homeLanguage, 0.97 / (shares.el + shares.rfep + shares.ifep))
        let e = Double.random(in: 0..<1, using: &rng)
        s.englishStatus =
            e < shares.el * scale
            ? "EL"
            : e < (shares.el + shares.rfep) * scale
                ? "RFEP"
                : e < (shares.el + shares.rfep + shares.ifep) * scale ? "IFEP" : "EO"
        if s.englishStatus == "EO" {
            // English only; from 2023-24 a few deaf students' primary language is American Sign
            // Language (ase; the two-digit code set had no code for it).
            s.language = year >= 2023 ? (rng.chance(0.0005) ? "ase" : "eng") : "00"
        } else {
            let list = languages[hIndex]
            let pick = Double.random(in: 0..<(list.last?.upTo ?? 1), using: &rng)
            s.language = list.first { pick < $0.upTo }?.code ?? (year >= 2023 ? "mis" : "99")
            if s.englishStatus == "EL", rng.chance(0.25) { s.birthCountry = rng.pick(h.countries) }
        }
        // Programs. Homeless, foster and migrant students are categorically eligible for free meals
        // (Report 1.17 counts them as FRPM-eligible); most also have a meal program record.
        s.homeless = rng.chance(0.036)
        s.foster = year >= 2020 && rng.chance(0.005)
        s.migrant = rng.chance(h.hispanic ? 0.016 : 0.002)
        let meals = s.englishStatus == "EL" ? 0.85 : Self.mealShare[h.name] ?? 0.5
        let categorical = s.homeless || s.foster || s.migrant
        if categorical ? rng.chance(0.7) : rng.chance(meals) {
            s.frpm = categorical || rng.chance(0.9) ? "181" : "182"
            s.directCertified = s.frpm == "181" && rng.chance(0.6)
        }
        return s
    }

    /// Free or reduced-price meal shares of students who are not English learners, by heritage.
    static let mealShare: [String: Double] = [
        "Hispanic": 0.62, "White": 0.30, "Asian": 0.36, "Black": 0.62, "Filipino": 0.30,
        "Two or more": 0.38, "Pacific Islander": 0.60, "American Indian": 0.60,
    ]

    /// A street line: number, street and suffix, sometimes an apartment.
    static func streetLine(_ rng: inout SeededRandom) -> String {
        var line = "\(rng.int(100..<20_000)) \(rng.pick(SampleNames.streets)) \(rng.pick(SampleNames.suffixes))"
        if rng.chance(0.15) { line += " Apt \(rng.int(1..<400))" }
        return line
    }
}
