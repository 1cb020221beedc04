import Foundation
import Testing

@testable import GetYour

@Suite("Settings: files, secrets and environment variables (P12)")
struct SettingsTests {
    /// A scratch project folder with its own settings files.
    func scratchRoot(files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("settings")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func localIsTheDefaultEnvironmentAndNeedsNoSecrets() throws {
        let settings = try Settings.load(root: TestApp.root, environmentVariables: [:])
        #expect(settings.environment == .local)
        #expect(settings.security.secureCookies == false)
        guard case .sqliteFile(let path) = settings.database.primary else {
            Issue.record("local should default to SQLite")
            return
        }
        #expect(path.hasSuffix("var/primary.sqlite"))
    }

    @Test func dataDirectoryIsRelocatable() throws {
        let settings = try Settings.load(root: TestApp.root, environmentVariables: ["GETYOUR_DATA_DIR": "/tmp/elsewhere"])
        #expect(settings.database.primary == .sqliteFile("/tmp/elsewhere/primary.sqlite"))
        #expect(settings.database.analytics == .sqliteFile("/tmp/elsewhere/analytics.sqlite"))
    }

    @Test func environmentVariablesBeatTheSecretsFileWhichBeatsTheTrackedFile() throws {
        let root = try scratchRoot(files: [
            "dev.toml": "[session]\nidle_minutes = 10\nabsolute_hours = 5\n[uploads]\nmax_file_mb = 7\n",
            "secrets.dev.toml":
                "[security]\nsecret_key = \"from-file\"\n[session]\nidle_minutes = 11\n[database]\nprimary_url = \"postgres://a:b@127.0.0.1/p\"\nanalytics_url = \"postgres://a:b@127.0.0.1/a\"\n",
        ])
        let settings = try Settings.load(
            root: root,
            environmentVariables: TestApp.serviceSettings.merging([
                "GETYOUR_ENV": "dev", "GETYOUR_SESSION_IDLE_MINUTES": "12",
            ]) { $1 })
        #expect(settings.session.idleTimeout == 12 * 60)  // environment wins
        #expect(settings.security.secretKey == "from-file")  // secrets file fills in
        #expect(settings.session.absoluteTimeout == 5 * 3600)  // tracked file
        #expect(settings.uploads.maxFileBytes == 7 * 1_048_576)
        #expect(settings.database.primary == .postgres(url: "postgres://a:b@127.0.0.1/p"))
    }

    @Test(arguments: ["dev", "stage", "production"])
    func startUpOutsideLocalNamesEveryMissingSecret(environment: String) throws {
        #expect(
            throws: SettingsError.missingSecrets(
                environment: environment,
                variables: [
                    "GETYOUR_DATABASE_PRIMARY_URL", "GETYOUR_DATABASE_ANALYTICS_URL", "GETYOUR_SECURITY_SECRET_KEY",
                    // Mail and text messages have no silent file fallback outside local (P8).
                    "GETYOUR_NOTIFICATIONS_SENDGRID_API_KEY", "GETYOUR_NOTIFICATIONS_TWILIO_ACCOUNT_SID",
                    "GETYOUR_NOTIFICATIONS_TWILIO_AUTH_TOKEN",
                ])
        ) {
            try Settings.load(root: TestApp.root, environmentVariables: ["GETYOUR_ENV": environment])
        }
    }

    @Test func theMissingSecretMessageNamesVariablesNotValues() throws {
        do {
            _ = try Settings.load(
                root: TestApp.root,
                environmentVariables: [
                    "GETYOUR_ENV": "production", "GETYOUR_SECURITY_SECRET_KEY": "s3cr3t-value",
                ])
            Issue.record("expected a failure")
        } catch let error as SettingsError {
            let text = error.description
            #expect(text.contains("GETYOUR_DATABASE_PRIMARY_URL"))
            #expect(!text.contains("GETYOUR_SECURITY_SECRET_KEY"))
            #expect(!text.contains("s3cr3t-value"))
        }
    }

    @Test func aSecretInATrackedFileIsRefused() throws {
        let root = try scratchRoot(files: ["stage.toml": "[security]\nsecret_key = \"oops\"\n"])
        #expect(throws: SettingsError.secretInTrackedFile(key: "security.secret_key", file: "settings/stage.toml")) {
            try Settings.load(root: root, environmentVariables: ["GETYOUR_ENV": "stage"])
        }
    }

    @Test func unknownEnvironmentAndBadValuesAreExplained() throws {
        #expect(throws: SettingsError.unknownEnvironment("prod")) {
            try Settings.load(root: TestApp.root, environmentVariables: ["GETYOUR_ENV": "prod"])
        }
        #expect(
            throws: SettingsError.invalidValues([
                "GETYOUR_SECURITY_HSTS must be true or false",
                "GETYOUR_SESSION_IDLE_MINUTES must be a whole number from 1 to 1440",
            ])
        ) {
            try Settings.load(
                root: TestApp.root,
                environmentVariables: [
                    "GETYOUR_SESSION_IDLE_MINUTES": "forever", "GETYOUR_SECURITY_HSTS": "maybe",
                ])
        }
    }

    @Test func productionNeverShowsErrorDetailsAndAlwaysSendsHSTS() throws {
        let settings = try TestApp.settings("production", variables: ["GETYOUR_APP_SHOW_ERROR_DETAILS": "true"])
        #expect(settings.showErrorDetails == false)
        #expect(settings.security.hsts)
        #expect(settings.security.secureCookies)
    }

    @Test func everySettingIsDocumentedInRefEnvVars() throws {
        let readme = try String(contentsOf: TestApp.root.appendingPathComponent("ref/env_vars/README.md"), encoding: .utf8)
        for key in SettingKey.all {
            #expect(readme.contains("`\(key.environmentVariable)`"), "\(key.environmentVariable) is not documented")
        }
        for environment in AppEnvironment.allCases {
            let template = try String(
                contentsOf: TestApp.root.appendingPathComponent("ref/env_vars/\(environment.rawValue).env"), encoding: .utf8)
            for key in SettingKey.all {
                #expect(template.contains(key.environmentVariable), "\(key.environmentVariable) missing from \(environment).env")
            }
        }
    }
}
