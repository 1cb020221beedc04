/// Why start-up refused the settings. The messages name keys and variables, never values.
public enum SettingsError: Error, CustomStringConvertible, Equatable {
    case unknownEnvironment(String)
    case unreadableFile(path: String, reason: String)
    case secretInTrackedFile(key: String, file: String)
    case missingSecrets(environment: String, variables: [String])
    case invalidValues([String])
    case unsafeForEnvironment(environment: String, problems: [String])

    public var description: String {
        switch self {
        case .unknownEnvironment(let name):
            "GETYOUR_ENV is \"\(name)\"; expected one of: "
                + AppEnvironment.allCases.map(\.rawValue).joined(separator: ", ")
        case .unreadableFile(let path, let reason):
            "Cannot read settings file \(path): \(reason)"
        case .secretInTrackedFile(let key, let file):
            "\(key) is a secret and must not be set in \(file); set it in the environment or in the ignored secrets file"
        case .missingSecrets(let environment, let variables):
            "Missing secrets for the \(environment) environment: \(variables.joined(separator: ", ")). "
                + "Set them as environment variables or in settings/secrets.\(environment).toml."
        case .invalidValues(let problems):
            "Invalid settings: " + problems.joined(separator: "; ")
        case .unsafeForEnvironment(let environment, let problems):
            "Refusing to start \(environment) with unsafe settings: " + problems.joined(separator: "; ")
        }
    }
}
