import Fluent

extension DatabaseID {
    /// Application data, sessions and audit events (P2).
    public static let primary = DatabaseID(string: "primary")
    /// Request and event logs, free of personal data (P9).
    public static let analytics = DatabaseID(string: "analytics")
    /// The same databases as the privileged migration role, when its URLs are set (P12).
    static let primaryMigration = DatabaseID(string: "primary-migration")
    static let analyticsMigration = DatabaseID(string: "analytics-migration")
}
