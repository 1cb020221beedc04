import Foundation
import Testing

@testable import GetYour

@Suite("Stage and production refuse to start with unsafe settings (P10, P12, issue 8)")
struct GuardRailTests {
    let safe = [
        "GETYOUR_SECURITY_SECRET_KEY": "k7Vq2mX9pL4sR8tW1yZ6bN3cF5hJ0dGa",
        "GETYOUR_DATABASE_PRIMARY_URL": "postgres://app:pw@db.internal:5432/getyour?sslmode=require",
        "GETYOUR_DATABASE_ANALYTICS_URL": "postgres://app:pw@db.internal:5432/getyour_analytics?sslmode=verify-full",
    ]

    func load(_ environment: String, _ changes: [String: String]) throws -> Settings {
        try Settings.load(
            root: TestApp.root,
            environmentVariables: TestApp.serviceSettings.merging(safe) { $1 }.merging(changes) { $1 }.merging(["GETYOUR_ENV": environment])
            {
                $1
            })
    }

    @Test(arguments: ["stage", "production"])
    func safeSettingsStart(environment: String) throws {
        let settings = try load(environment, [:])
        #expect(settings.security.hsts)
        #expect(settings.security.secureCookies)
    }

    @Test(arguments: [
        ("GETYOUR_SECURITY_SECRET_KEY", "CHANGE_ME_at_least_32_random_characters"),
        ("GETYOUR_SECURITY_SECRET_KEY", "too-short-secret"),
        ("GETYOUR_SECURITY_SECURE_COOKIES", "false"),
        ("GETYOUR_SECURITY_HSTS", "false"),
        ("GETYOUR_SECURITY_BCRYPT_COST", "10"),
        ("GETYOUR_APP_LOG_LEVEL", "trace"),
        ("GETYOUR_DATABASE_PRIMARY_URL", "sqlite:/srv/getyour/primary.sqlite"),
        ("GETYOUR_DATABASE_ANALYTICS_URL", "postgres://app:pw@db.internal:5432/getyour_analytics"),
        ("GETYOUR_DATABASE_PRIMARY_URL", "postgres://app:pw@db.internal:5432/getyour?sslmode=prefer"),
    ])
    func eachUnsafeSettingIsRefusedByName(variable: String, value: String) throws {
        for environment in ["stage", "production"] {
            do {
                _ = try load(environment, [variable: value])
                Issue.record("\(environment) started with \(variable)=\(value)")
            } catch let error as SettingsError {
                let message = error.description
                #expect(message.contains(variable), "\(message)")
                #expect(message.contains("Refusing to start \(environment)"))
                #expect(!message.contains(value) || value == "false" || value == "10" || value == "trace", "the value leaked: \(message)")
            }
        }
    }

    @Test func localAndDevKeepTheirConveniences() throws {
        #expect(try TestApp.settings("local").security.secureCookies == false)
        let dev = try load("dev", ["GETYOUR_SECURITY_HSTS": "false", "GETYOUR_NOTIFICATIONS_EMAIL_BACKEND": "file"])
        #expect(dev.security.hsts == false)
        // A test server may keep its mail in files when told to; production may not.
        #expect(dev.notifications.emailBackend == .file)
        #expect(throws: SettingsError.self) { try load("production", ["GETYOUR_NOTIFICATIONS_EMAIL_BACKEND": "file"]) }
    }
}
