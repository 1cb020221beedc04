import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Staff two-factor sign-in (P10, P13 continued, issue 8)")
struct TwoFactorTests {
    @Test func aStaffPageIsRefusedUntilTheSecondFactorIsSetUp() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier)
            let browser = Browser(app)
            let signedIn = try await browser.signIn(email: "staff@example.org", password: "staff passphrase 2024")
            #expect(signedIn.headers.first(name: .location) == "/staff/two-factor/setup")
            for path in ["/staff", "/settings"] {
                let refused = try await browser.get(path)
                #expect(refused.status == .seeOther)
                #expect(refused.headers.first(name: .location) == "/staff/two-factor/setup")
            }
            let setup = try await browser.get("/staff/two-factor/setup")
            #expect(setup.status == .ok)
            #expect(setup.text.contains("otpauth://totp/Get-Your:staff@example.org?secret="))
            #expect(setup.text.contains("<svg"))
            let wrong = try await browser.post("/staff/two-factor/setup", [("code", "000000")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("That code is not right"))
            let shown = try #require(Browser.setupSecret(in: wrong.text))
            let secret = try #require(Base32.decode(shown))
            let done = try await browser.post("/staff/two-factor/setup", [("code", TOTP(secret: secret).code(at: app.clock.now()))])
            #expect(done.headers.first(name: .location) == "/staff/two-factor/recovery-codes")
            let codes = try await browser.recoveryCodes()
            #expect(codes.count == 10)
            #expect(try await browser.get("/staff/two-factor/recovery-codes").status == .seeOther)  // shown once
            #expect(try await browser.get("/staff").status == .ok)
            let stored = try #require(try await User.query(on: app.db(.primary)).first())
            #expect(stored.totpEnabledAt != nil)
            #expect(stored.totpSecret?.contains(Base32.encode(secret)) == false)  // sealed, not plain
            #expect(try await RecoveryCode.query(on: app.db(.primary)).all().allSatisfy { !codes.contains($0.codeHash) })
        }
    }

    @Test func signInAsksForTheCodeAndACodeWorksOnce() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier)
            let secret = try await Browser(app).signInStaff()
            app.clock.travel(by: 60)
            let browser = Browser(app)
            let password = try await browser.signIn(email: "staff@example.org", password: "staff passphrase 2024")
            #expect(password.headers.first(name: .location) == "/login/two-factor")
            #expect(try await browser.get("/staff").headers.first(name: .location) == "/login/two-factor")
            let page = try await browser.get("/login/two-factor")
            #expect(page.text.contains("Enter your sign-in code"))
            let code = TOTP(secret: secret).code(at: app.clock.now())
            let accepted = try await browser.post("/login/two-factor", [("code", code)])
            #expect(accepted.headers.first(name: .location) == "/staff")
            #expect(try await browser.get("/staff").status == .ok)
            // The same code a second time, from another browser, is refused.
            let replay = Browser(app)
            try await replay.signIn(email: "staff@example.org", password: "staff passphrase 2024")
            try await replay.get("/login/two-factor")
            let refused = try await replay.post("/login/two-factor", [("code", code)])
            #expect(refused.status == .unprocessableEntity)
        }
    }

    @Test func aRecoveryCodeWorksOnceAndIsAudited() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .admin)
            let first = Browser(app)
            try await first.signInStaff()
            let codes = try await first.recoveryCodes()
            let browser = Browser(app)
            try await browser.signIn(email: "staff@example.org", password: "staff passphrase 2024")
            try await browser.get("/login/two-factor")
            let used = try await browser.post("/login/two-factor", [("code", codes[3].uppercased())])
            #expect(used.headers.first(name: .location) == "/staff")
            let again = Browser(app)
            try await again.signIn(email: "staff@example.org", password: "staff passphrase 2024")
            try await again.get("/login/two-factor")
            #expect(try await again.post("/login/two-factor", [("code", codes[3])]).status == .unprocessableEntity)
            let actions = try await AuditEvent.query(on: app.db(.primary)).all().map(\.action)
            #expect(actions.contains("two_factor.recovery_code_used"))
        }
    }

    @Test func wrongCodesAreThrottledAndLogged() async throws {
        let events = CollectedSecurityEvents()
        try await TestApp.run { app in
            app.securityEvents = events
            try await makeStaff(app, role: .verifier)
            let secret = try await Browser(app).signInStaff()
            let browser = Browser(app)
            try await browser.signIn(email: "staff@example.org", password: "staff passphrase 2024")
            try await browser.get("/login/two-factor")
            for _ in 0..<5 { #expect(try await browser.post("/login/two-factor", [("code", "123456")]).status == .unprocessableEntity) }
            app.clock.travel(by: 60)
            let paused = try await browser.post("/login/two-factor", [("code", TOTP(secret: secret).code(at: app.clock.now()))])
            #expect(paused.status == .tooManyRequests)
            #expect(events.kinds().filter { $0 == .twoFactorFailed }.count == 5)
        }
    }

    @Test func anAdminResetsAColleaguesSecondFactorAndItIsAudited() async throws {
        let events = CollectedSecurityEvents()
        try await TestApp.run { app in
            app.securityEvents = events
            try await makeStaff(app, role: .admin, email: "admin@example.org")
            let colleague = try await makeStaff(app, role: .verifier, email: "verifier@example.org")
            let theirs = Browser(app)
            try await theirs.signInStaff(email: "verifier@example.org")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@example.org")
            let list = try await admin.get("/staff/admin/staff")
            #expect(list.text.contains("verifier@example.org"))
            let reset = try await admin.post("/staff/admin/staff/\(colleague.id!.uuidString)/two-factor/reset")
            #expect(reset.headers.first(name: .location) == "/staff/admin/staff?reset=1")
            // They are signed out and set it up again at their next sign-in.
            #expect(try await theirs.get("/staff").headers.first(name: .location)?.hasPrefix("/login") == true)
            let again = Browser(app)
            let signedIn = try await again.signIn(email: "verifier@example.org", password: "staff passphrase 2024")
            #expect(signedIn.headers.first(name: .location) == "/staff/two-factor/setup")
            let audit = try #require(try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "two_factor.reset").first())
            #expect(audit.subjectUserID == colleague.id)
            #expect(events.kinds().contains(.twoFactorReset))
            // A verifier cannot reach the admin page; a resident does not even see it exists.
            #expect(try await again.get("/staff/admin/staff").status != .ok)
            let resident = Browser(app)
            try await resident.signUp()
            #expect(try await resident.get("/staff/admin/staff").status == .notFound)
            #expect(try await resident.get("/staff").status == .notFound)
            #expect(try await resident.get("/staff/two-factor/setup").status == .notFound)
        }
    }

    @Test func staffSessionsEndAfterFifteenIdleMinutes() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier)
            let browser = Browser(app)
            try await browser.signInStaff()
            app.clock.travel(by: 16 * 60)
            let expired = try await browser.get("/staff")
            #expect(expired.headers.first(name: .location) == "/login?next=/staff&expired=1")
        }
    }

    @Test func theAuditTableIsAppendOnly() async throws {
        try await TestApp.run { app in
            try await makeStaff(app, role: .verifier)
            try await Browser(app).signInStaff()
            let db = app.db(.primary)
            #expect(try await AuditEvent.query(on: db).count() == 1)
            await #expect(throws: (any Error).self) { try await AuditEvent.query(on: db).set(\.$action, to: "rewritten").update() }
            await #expect(throws: (any Error).self) { try await AuditEvent.query(on: db).delete() }
            #expect(try await AuditEvent.query(on: db).first()?.action == "two_factor.enabled")
        }
    }
}
