import Vapor

private enum SettingsKey: StorageKey { typealias Value = Settings }
private enum MessagesKey: StorageKey { typealias Value = Messages }

extension Application {
    /// The settings loaded at start-up. Reading them before `configure` is a programming error.
    public var settings: Settings {
        get {
            guard let settings = storage[SettingsKey.self] else { fatalError("configure(_:) has not run") }
            return settings
        }
        set { storage[SettingsKey.self] = newValue }
    }

    public var messages: Messages {
        get {
            guard let messages = storage[MessagesKey.self] else { fatalError("configure(_:) has not run") }
            return messages
        }
        set { storage[MessagesKey.self] = newValue }
    }
}
