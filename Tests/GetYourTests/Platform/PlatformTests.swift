import Fluent
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Security headers, error pages, request ids and banners")
struct PlatformTests {
    @Test func everyResponseCarriesStrictSecurityHeaders() async throws {
        try await TestApp.run { app in
            for path in ["/", "/healthz", "/no-such-page"] {
                let response = try await Browser(app).get(path)
                let csp = response.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(csp.contains("frame-ancestors 'none'"), "\(path)")
                #expect(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "\(path)")
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
                #expect(response.headers.first(name: "X-Frame-Options") == "DENY")
                #expect(response.headers.first(name: "Referrer-Policy") == "same-origin")
                #expect(!response.headers.contains(name: "Strict-Transport-Security"), "no HSTS in local")
            }
        }
    }

    @Test func productionAddsHSTS() async throws {
        try await TestApp.run(try TestApp.settings("production")) { app in
            let response = try await Browser(app).get("/")
            #expect(response.headers.first(name: "Strict-Transport-Security")?.contains("max-age=") == true)
        }
    }

    @Test func unknownPagesGetA404PageWithTheRequestID() async throws {
        try await TestApp.run { app in
            let response = try await Browser(app).get("/no-such-page", headers: ["X-Request-ID": "trace-abc-12345"])
            #expect(response.status == .notFound)
            #expect(response.headers.contentType?.subType == "html")
            #expect(response.text.contains("Page not found"))
            #expect(response.text.contains("trace-abc-12345"))
            #expect(response.headers.first(name: .xRequestId) == "trace-abc-12345")
        }
    }

    @Test func anUnsafeIncomingRequestIDIsReplaced() async throws {
        try await TestApp.run { app in
            let response = try await Browser(app).get("/", headers: ["X-Request-ID": "bad id\u{7F}<script>"])
            let id = response.headers.first(name: .xRequestId) ?? ""
            #expect(id.count == 36 && !id.contains("<"))
        }
    }

    @Test func aWrongMethodIs405WithAllow() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            // CSRF is checked before routing, so the browser carries a token.
            let browser = Browser(app)
            try await browser.get("/test/form")
            let withToken = try await browser.post("/healthz")
            #expect(withToken.status == .methodNotAllowed)
            #expect(withToken.headers.first(name: "Allow") == "GET")
            #expect(withToken.text.contains("does not work that way"))
        }
    }

    @Test func serverErrorsShowDetailsOnlyInLocal() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let response = try await Browser(app).get("/test/explode")
            #expect(response.status == .internalServerError)
            #expect(response.text.contains("SELECT secret FROM internals"))
        }
        try await TestApp.run(try TestApp.settings("production")) { app in
            app.addTestRoutes()
            let response = try await Browser(app).get("/test/explode")
            #expect(response.status == .internalServerError)
            #expect(response.text.contains("Sorry, something went wrong"))
            #expect(!response.text.contains("SELECT secret"))
            #expect(!response.text.contains("Boom"))
            #expect(response.text.contains(response.headers.first(name: .xRequestId) ?? "missing"))
        }
    }

    @Test func tooLargeFormsGet413() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            try await browser.get("/test/form")
            let response = try await browser.post("/test/form", [("note", String(repeating: "x", count: 600_000))])
            #expect(response.status == .payloadTooLarge)
            #expect(response.text.contains("That was too large"))
        }
    }

    @Test(
        arguments: [
            ("local", "TESTING — not the real service"), ("dev", "TESTING — not the real service"),
            ("stage", "STAGING — for testing only"), ("production", nil),
        ] as [(String, String?)])
    func theEnvironmentBannerShowsOutsideProduction(environment: String, banner: String?) async throws {
        try await TestApp.run(try TestApp.settings(environment)) { app in
            let page = try await Browser(app).get("/").text
            if let banner {
                #expect(page.contains(banner))
            } else {
                #expect(!page.contains("env-banner"))
            }
        }
    }

    @Test func pagesAreAccessibleHTMLInTheChosenLanguage() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            let english = try await browser.get("/").text
            #expect(english.contains("<html lang=\"en\">"))
            #expect(english.contains("href=\"#main\"") && english.contains("id=\"main\""))
            let spanish = try await browser.get("/?lang=es").text
            #expect(spanish.contains("<html lang=\"es\">"))
            #expect(spanish.contains("Cómo funciona"))
            // The choice is remembered.
            #expect(try await browser.get("/").text.contains("<html lang=\"es\">"))
            let accept = try await Browser(app).get("/", headers: ["Accept-Language": "es-MX,es;q=0.9,en;q=0.5"])
            #expect(accept.text.contains("<html lang=\"es\">"))
        }
    }

    @Test func healthReportsVersionEnvironmentAndBothDatabases() async throws {
        try await TestApp.run { app in
            // The check gives each database two seconds; while the whole suite loads one
            // PostgreSQL, a first connection can take longer, so ask up to three times.
            var response = try await Browser(app).get("/healthz")
            for _ in 0..<2 where response.text.contains("\"down\"") { response = try await Browser(app).get("/healthz") }
            #expect(response.status == .ok)
            let report = try JSONDecoder().decode(HealthController.Report.self, from: Data(response.text.utf8))
            #expect(report.version == GetYourVersion.current)
            #expect(report.environment == "local")
            #expect(report.databases == ["primary": "up", "analytics": "up"])
        }
    }

    /// A load balancer keeps a new release out of rotation until `getyour migrate` has run.
    @Test func readinessFailsWhileAMigrationIsPending() async throws {
        try await TestApp.run { app in
            var response = try await Browser(app).get("/healthz?ready=1")
            for _ in 0..<2 where response.text.contains("\"down\"") { response = try await Browser(app).get("/healthz?ready=1") }
            #expect(response.status == .ok)
            var report = try JSONDecoder().decode(HealthController.Report.self, from: Data(response.text.utf8))
            #expect(report.migrations == ["primary": "current", "analytics": "current"])

            // As if the code were one migration ahead of the database.
            let owner = app.db(app.migrationDatabase(for: .primary)) as! any SQLDatabase
            let last = PrimaryMigrations.all.last!.name
            try await owner.raw("UPDATE _fluent_migrations SET name = \(bind: "hidden") WHERE name = \(bind: last)").run()
            response = try await Browser(app).get("/healthz?ready=1")
            // Under the whole suite's load a first answer can be "down" (two seconds passed).
            for _ in 0..<2 where response.text.contains("\"down\"") { response = try await Browser(app).get("/healthz?ready=1") }
            #expect(response.status == .serviceUnavailable)
            report = try JSONDecoder().decode(HealthController.Report.self, from: Data(response.text.utf8))
            #expect(report.status == "not ready")
            #expect(report.migrations?["primary"] == "pending: 1")
            // Liveness is unaffected: the process and its database are fine.
            var live = try await Browser(app).get("/healthz")
            for _ in 0..<2 where live.text.contains("\"down\"") { live = try await Browser(app).get("/healthz") }
            #expect(live.status == .ok)

            try await owner.raw("UPDATE _fluent_migrations SET name = \(bind: last) WHERE name = \(bind: "hidden")").run()
            response = try await Browser(app).get("/healthz?ready=1")
            for _ in 0..<2 where response.text.contains("\"down\"") { response = try await Browser(app).get("/healthz?ready=1") }
            #expect(response.status == .ok)
        }
    }
}
