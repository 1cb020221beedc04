import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Sign-in, sign-out and session safety (P10)")
struct SignInTests {
    let email = "maria.lopez@example.com", password = "amber kettle meadow stone"

    @Test func signingInRotatesTheSessionAndGoesToTheApplication() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let browser = Browser(app)
            try await browser.get("/signup")  // an anonymous visit first
            browser.setCookie("getyour_session", "planted-by-an-attacker-0123456789abcdef")
            let response = try await browser.signIn(email: "Maria.Lopez@example.com", password: password)
            #expect(response.status == .seeOther)
            #expect(response.headers.first(name: .location) == "/apply")
            let after = try #require(browser.sessionCookie)
            #expect(after != "planted-by-an-attacker-0123456789abcdef")
            #expect(try await browser.get("/settings").status == .ok)
        }
    }

    @Test func anExistingSessionIdIsReplacedAtSignIn() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let browser = Browser(app)
            try await browser.signIn(email: email, password: password)
            let first = try #require(browser.sessionCookie)
            try await browser.post("/logout")
            try await browser.signIn(email: email, password: password)
            let second = try #require(browser.sessionCookie)
            #expect(first != second)
            // The old cookie no longer opens anything.
            let thief = Browser(app)
            thief.setCookie("getyour_session", first)
            let stolen = try await thief.get("/apply")
            #expect(stolen.status == .seeOther)
            #expect(stolen.headers.first(name: .location)?.hasPrefix("/login") == true)
        }
    }

    @Test func aWrongPasswordAndAnUnknownEmailGetTheSameMessage() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let wrong = try await Browser(app).signIn(email: email, password: "not the password at all")
            let unknown = try await Browser(app).signIn(email: "nobody@example.com", password: password)
            for response in [wrong, unknown] {
                #expect(response.status == .unprocessableEntity)
                #expect(response.text.contains("The email address or password is not right"))
            }
            #expect(wrong.text.contains("value=\"\(email)\""))
            #expect(!wrong.text.contains("not the password at all"))
        }
    }

    @Test func repeatedFailuresPauseSignInForThatAccount() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            for _ in 0..<5 {
                #expect(try await Browser(app).signIn(email: email, password: "wrong password 123").status == .unprocessableEntity)
            }
            let paused = try await Browser(app).signIn(email: email, password: password)
            #expect(paused.status == .tooManyRequests)
            #expect(paused.text.contains("Too many attempts to sign in. Wait 15 minutes"))
            // The pause ends when the failures leave the window.
            try await ThrottleEvent.query(on: app.db(.primary)).set(\.$occurredAt, to: Date().addingTimeInterval(-16 * 60)).update()
            #expect(try await Browser(app).signIn(email: email, password: password).status == .seeOther)
        }
    }

    @Test func aPasswordResetLiftsThePauseAtOnce() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            for _ in 0..<5 { try await Browser(app).signIn(email: email, password: "wrong password 123") }
            let browser = Browser(app)
            try await browser.get("/password-reset")
            try await browser.post("/password-reset", [("email", email)])
            let link = try #require(try await app.lastLink(to: email))
            try await browser.get(link)
            try await browser.post(link, [("password", "a brand new passphrase"), ("password_confirmation", "a brand new passphrase")])
            // A stranger's failures came from the same address here; clear those to isolate the account rule.
            try await app.db(.primary).query(ThrottleEvent.self).filter(\.$bucket == "login_address").delete()
            #expect(try await Browser(app).signIn(email: email, password: "a brand new passphrase").status == .seeOther)
        }
    }

    @Test func anArchivedAccountCannotSignIn() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let signedIn = Browser(app)
            try await signedIn.signIn(email: email, password: password)
            try await User.query(on: app.db(.primary)).set(\.$archived, to: true).update()
            let response = try await Browser(app).signIn(email: email, password: password)
            #expect(response.status == .forbidden)
            #expect(response.text.contains("This account has been closed"))
            // A session opened before archiving stops working too.
            #expect(try await signedIn.get("/apply").status == .seeOther)
        }
    }

    @Test(arguments: ["https://evil.example/steal", "//evil.example", "/\\evil.example", "javascript:alert(1)", "http:/evil.example"])
    func nextIsHonouredOnlyForLocalPaths(next: String) async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let response = try await Browser(app).signIn(email: email, password: password, next: next)
            #expect(response.headers.first(name: .location) == "/apply")
        }
    }

    @Test func aProtectedPageSendsYouToSignInAndBack() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let browser = Browser(app)
            let bounced = try await browser.get("/settings")
            #expect(bounced.status == .seeOther)
            #expect(bounced.headers.first(name: .location) == "/login?next=/settings")
            let response = try await browser.signIn(email: email, password: password, next: "/settings")
            #expect(response.headers.first(name: .location) == "/settings")
        }
    }

    @Test func signOutIsAPostAndAGetDoesNothing() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let browser = Browser(app)
            try await browser.signIn(email: email, password: password)
            let before = try #require(browser.sessionCookie)
            let get = try await browser.get("/logout")
            #expect(get.status == .methodNotAllowed)
            #expect(try await browser.get("/settings").status == .ok)
            try await browser.get("/apply")
            let post = try await browser.post("/logout")
            #expect(post.status == .seeOther)
            #expect(try await browser.get("/apply").status == .seeOther)
            #expect(browser.sessionCookie == nil)
            #expect(try await StoredSession.find(SessionMiddleware.hash(before), on: app.db(.primary)) == nil)
        }
    }

    @Test func anIdleSessionEndsWithAPlainMessageAndKeepsTheWayBack() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let browser = Browser(app)
            try await browser.signIn(email: email, password: password)
            try await StoredSession.query(on: app.db(.primary)).set(\.$lastSeenAt, to: Date().addingTimeInterval(-31 * 60)).update()
            let bounced = try await browser.get("/settings")
            #expect(bounced.headers.first(name: .location) == "/login?next=/settings&expired=1")
            let page = try await browser.follow(bounced)
            #expect(page.text.contains("You were signed out because you were away for a while"))
        }
    }

    @Test func staffSignInLandsOnTheStaffWorkspaceAndResidentsCannotGoThere() async throws {
        try await TestApp.run { app in
            try await runCommand(app, "create-staff", "--email", "verifier@city.example", "--role", "verifier", "--link")
            let link = try #require(try await AccountToken.query(on: app.db(.primary)).first())
            #expect(link.purpose == .setPassword)
            try await Browser(app).signUp(email: email, password: password)
            let resident = Browser(app)
            try await resident.signIn(email: email, password: password)
            // Residents are not told that the staff workspace exists (P1).
            #expect(try await resident.get("/staff").status == .notFound)
        }
    }

    @Test func theSignInFormNeedsItsCSRFToken() async throws {
        try await TestApp.run { app in
            try await Browser(app).signUp(email: email, password: password)
            let browser = Browser(app)
            try await browser.get("/login")
            let response = try await browser.post("/login", [("email", email), ("password", password)], csrf: false)
            #expect(response.status == .forbidden)
            #expect(browser.sessionCookie == nil)
        }
    }
}

@Suite("Staff accounts come only from the command line (P1)")
struct StaffAccountTests {
    @Test func theOneTimeLinkSetsTheFirstPasswordAndLeadsToTheStaffWorkspace() async throws {
        try await TestApp.run { app in
            try await runCommand(
                app, "create-staff", "--email", "Coord@City.example", "--role", "coordinator", "--program", "grocery,recreation", "--link")
            let staff = try #require(try await User.find(email: "coord@city.example", on: app.db(.primary)))
            #expect(staff.role == .coordinator)
            #expect(try await StaffProgramScope.query(on: app.db(.primary)).count() == 2)
            // Before the link is used nobody can sign in to the account.
            #expect(try await Browser(app).signIn(email: "coord@city.example", password: "!unusable").status == .unprocessableEntity)
            let secret = SessionMiddleware.newToken()
            let token = try #require(try await AccountToken.query(on: app.db(.primary)).first())
            token.tokenHash = AccountToken.hash(secret)  // the printed link's secret is not stored; stand in for it
            try await token.save(on: app.db(.primary))
            let browser = Browser(app)
            let form = try await browser.get("/password-reset/\(secret)")
            #expect(form.text.contains("Choose your password"))
            let set = try await browser.post(
                "/password-reset/\(secret)",
                [("password", "lantern copper willow ridge"), ("password_confirmation", "lantern copper willow ridge")])
            #expect(set.headers.first(name: .location) == "/login?password_set=1")
            // The password alone opens only the second-factor set-up (P10).
            try await browser.signInStaff(email: "coord@city.example", password: "lantern copper willow ridge")
            #expect(try await browser.get("/staff").text.contains("program coordinator"))
            // Staff cannot use the resident pages.
            #expect(try await browser.get("/apply").status == .forbidden)
        }
    }

    @Test func aCoordinatorNeedsAProgramAndEmailsStayUnique() async throws {
        try await TestApp.run { app in
            await #expect(throws: (any Error).self) {
                try await runCommand(app, "create-staff", "--email", "c@city.example", "--role", "coordinator", "--link")
            }
            await #expect(throws: (any Error).self) {
                try await runCommand(app, "create-staff", "--email", "c@city.example", "--role", "resident", "--link")
            }
            try await runCommand(app, "create-staff", "--email", "v@city.example", "--role", "verifier", "--link")
            await #expect(throws: (any Error).self) {
                try await runCommand(app, "create-staff", "--email", "V@city.example", "--role", "admin", "--link")
            }
            #expect(try await User.query(on: app.db(.primary)).count() == 1)
        }
    }
}

@Suite("What people type is shown as text, never as markup")
struct EscapingTests {
    @Test func aNameWithMarkupIsEscapedWhereverItAppears() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            try await browser.post("/signup", signUpForm(overrides: ["first_name": "<script>alert(1)</script>"]))
            try await browser.confirmEmail("maria.lopez@example.com")
            try await browser.get("/apply/address")
            try await browser.post("/apply/address", StepValidationTests.goodAddress)
            try await browser.post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")])
            let members = try await browser.get("/apply/members").text
            #expect(!members.contains("<script>alert(1)</script>"))
            #expect(members.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            let settings = try await browser.get("/settings").text
            #expect(!settings.contains("<script>alert(1)</script>"))
        }
    }
}
