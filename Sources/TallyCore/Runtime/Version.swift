/// The tool version recorded with every run.
public enum TallyVersion {
    public static let string = "0.1.0"
}
