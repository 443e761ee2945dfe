import TallyModel

// What the build knows of where it came from. scripts/release.sh overwrites this file for a
// release build (the commit it builds) and restores it afterwards: keep it in this form.
enum BuildInfo {
    static let commit: String? = nil
}
