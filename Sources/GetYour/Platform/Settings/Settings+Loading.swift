import Foundation
import TOMLKit

extension Settings {
    /// Loads the settings for the environment named by `GETYOUR_ENV` (default `local`).
    ///
    /// - Parameters:
    ///   - root: the project folder holding `settings/`, `Templates/` and `Public/`.
    ///   - environmentVariables: the process environment; tests pass their own.
    public static func load(
        root: URL,
        environmentVariables: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Settings {
        let name = environmentVariables["GETYOUR_ENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "local"
        guard let environment = AppEnvironment(rawValue: name) else {
            throw SettingsError.unknownEnvironment(name)
        }
        let settingsFolder = root.appendingPathComponent("settings", isDirectory: true)
        let tracked = try readTOML(settingsFolder.appendingPathComponent("\(name).toml"), required: true)
        for key in SettingKey.all where key.isSecret && tracked[key.name] != nil {
            throw SettingsError.secretInTrackedFile(key: key.name, file: "settings/\(name).toml")
        }
        let secrets = try readTOML(settingsFolder.appendingPathComponent("secrets.\(name).toml"), required: false)
        var raw = tracked.merging(secrets) { _, secret in secret }
        for key in SettingKey.all {
            if let value = environmentVariables[key.environmentVariable] { raw[key.name] = value }
        }
        var resolver = RawSettings(values: raw, environment: environment)
        return try resolver.resolve(root: root)
    }

    /// Flattens a TOML file into `section.key` → text.
    static func readTOML(_ url: URL, required: Bool) throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            if required { throw SettingsError.unreadableFile(path: url.path, reason: "no such file") }
            return [:]
        }
        do {
            let table = try TOMLTable(string: String(contentsOf: url, encoding: .utf8))
            var flat: [String: String] = [:]
            flatten(table, prefix: "", into: &flat)
            return flat
        } catch {
            throw SettingsError.unreadableFile(path: url.path, reason: String(describing: error))
        }
    }

    private static func flatten(_ table: TOMLTable, prefix: String, into flat: inout [String: String]) {
        for key in table.keys {
            guard let value = table[key] else { continue }
            let name = prefix.isEmpty ? key : prefix + "." + key
            if let nested = value.table {
                flatten(nested, prefix: name, into: &flat)
            } else if let text = value.string {
                flat[name] = text
            } else if let number = value.int {
                flat[name] = String(number)
            } else if let flag = value.bool {
                flat[name] = String(flag)
            } else if let number = value.double {
                flat[name] = String(number)
            }
        }
    }
}
