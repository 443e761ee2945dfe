import TallyModel

/// The tool version recorded with every run (the ledger's tool_version, the report appendix,
/// `tally --version`, the cell cache's keys): the version number and the commit built from, e.g.
/// "0.1.0 (commit 69eda6c)". The commit is baked in at build time (BuildInfo.swift, written by
/// scripts/release.sh), so a release binary needs no git and no checkout to say where it came
/// from; a development build says "unknown commit".
public enum TallyVersion {
    public static let number = "0.1.0"
    /// The short commit hash, or nil when the build did not record one.
    public static let commit: String? = BuildInfo.commit
    public static let string = "\(number) (\(commit.map { "commit \($0)" } ?? "unknown commit"))"
}
