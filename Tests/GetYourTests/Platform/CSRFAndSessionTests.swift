import Fluent
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("CSRF protection and database sessions (P10)")
struct CSRFAndSessionTests {
    @Test func aFormPostWithTheRightTokenIsAccepted() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            try await browser.get("/test/form")
            #expect(browser.csrfToken != nil)
            let response = try await browser.post("/test/form", [("note", "hello")])
            #expect(response.status == .ok)
            #expect(response.text == "saved")
        }
    }

    @Test func aMissingOrWrongTokenGetsAFriendly403() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            try await browser.get("/test/form")
            let token = try #require(browser.csrfToken)
            let missing = try await browser.post("/test/form", [("note", "hello")], csrf: false)
            #expect(missing.status == .forbidden)
            #expect(missing.text.contains("This page has expired"))
            let wrong = try await browser.post(
                "/test/form", [("note", "hello"), ("csrf_token", String(repeating: "A", count: 43))], csrf: false)
            #expect(wrong.status == .forbidden)
            // A token without the matching cookie (another browser's token) is refused too.
            let stranger = Browser(app)
            let foreign = try await stranger.post("/test/form", [("csrf_token", token)], csrf: false)
            #expect(foreign.status == .forbidden)
        }
    }

    @Test func aCrossSitePostIsRefusedEvenWithAValidToken() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            try await browser.get("/test/form")
            let fetchSite = try await browser.post("/test/form", headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(fetchSite.status == .forbidden)
            #expect(fetchSite.text.contains("came from another website"))
            let origin = try await browser.post("/test/form", headers: ["Origin": "https://evil.example"])
            #expect(origin.status == .forbidden)
            let sameOrigin = try await browser.post("/test/form", headers: ["Origin": "http://127.0.0.1:8080"])
            #expect(sameOrigin.status == .ok)
        }
    }

    @Test func pagesWithoutFormsSetNoCookies() async throws {
        try await TestApp.run { app in
            let health = try await Browser(app).get("/healthz")
            let landing = try await Browser(app).get("/programs")
            #expect(health.headers[.setCookie] == [])
            #expect(landing.headers[.setCookie] == [])
        }
    }

    @Test func theCSRFCookieIsHttpOnlyLaxAndSecureOutsideLocal() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let cookie = try await Browser(app).get("/test/form").headers[.setCookie].first { $0.hasPrefix("getyour_csrf=") } ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))
        }
        try await TestApp.run(try TestApp.settings("stage")) { app in
            app.addTestRoutes()
            let cookie = try await Browser(app).get("/test/form").headers[.setCookie].first { $0.hasPrefix("__Host-getyour_csrf=") } ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Secure"))
        }
    }

    @Test func sessionsLiveInThePrimaryDatabaseUnderAHashedToken() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            #expect(try await StoredSession.query(on: app.db(.primary)).count() == 0)
            let set = try await browser.get("/test/remember")
            let cookie = set.headers[.setCookie].first { $0.hasPrefix("getyour_session=") } ?? ""
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
            let rows = try await StoredSession.query(on: app.db(.primary)).all()
            #expect(rows.count == 1)
            let token = browser.cookies["getyour_session"] ?? ""
            #expect(rows.first?.id != token && rows.first?.id == SessionMiddleware.hash(token))
            #expect(try await browser.get("/test/recall").text == "kept")
            // Pages that store nothing create no session rows.
            try await Browser(app).get("/")
            #expect(try await StoredSession.query(on: app.db(.primary)).count() == 1)
        }
    }

    @Test func anIdleSessionExpires() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            try await browser.get("/test/remember")
            let row = try #require(try await StoredSession.query(on: app.db(.primary)).first())
            row.lastSeenAt = Date().addingTimeInterval(-31 * 60)
            try await row.update(on: app.db(.primary))
            #expect(try await browser.get("/test/recall").text == "nothing")
            #expect(try await StoredSession.query(on: app.db(.primary)).count() == 0)
        }
    }

    @Test func aSessionPastItsAbsoluteLifetimeExpiresEvenWhenActive() async throws {
        try await TestApp.run { app in
            app.addTestRoutes()
            let browser = Browser(app)
            try await browser.get("/test/remember")
            let row = try #require(try await StoredSession.query(on: app.db(.primary)).first())
            row.createdAt = Date().addingTimeInterval(-13 * 3600)
            try await row.update(on: app.db(.primary))
            #expect(try await browser.get("/test/recall").text == "nothing")
        }
    }
}
