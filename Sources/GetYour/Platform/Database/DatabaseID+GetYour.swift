import Fluent

extension DatabaseID {
    /// Application data, sessions and audit events (P2).
    public static let primary = DatabaseID(string: "primary")
    /// Request and event logs, free of personal data (P9).
    public static let analytics = DatabaseID(string: "analytics")
}
