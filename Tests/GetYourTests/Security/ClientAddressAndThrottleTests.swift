import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Client address behind proxies and race-free throttles (P10, issue 8)")
struct ClientAddressAndThrottleTests {
    let proxies = [IPNetwork("10.0.0.0/8")!, IPNetwork("::1")!]

    @Test func aClientNotBehindATrustedProxyIsItsSocketAddressWhateverItSends() {
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: ["1.2.3.4"], trustedProxies: proxies) == "203.0.113.9")
        #expect(ClientAddress.resolve(peer: "203.0.113.9", forwardedFor: [], trustedProxies: []) == "203.0.113.9")
    }

    @Test func behindATrustedProxyTheRightmostUntrustedEntryIsTheClient() {
        // The client forged "1.2.3.4"; the proxy appended the address it really saw.
        #expect(
            ClientAddress.resolve(peer: "10.0.0.5", forwardedFor: ["1.2.3.4, 198.51.100.7"], trustedProxies: proxies) == "198.51.100.7")
        // Two proxies of ours in a row, and two header lines.
        #expect(
            ClientAddress.resolve(peer: "10.0.0.5", forwardedFor: ["1.2.3.4", "198.51.100.7, 10.1.2.3"], trustedProxies: proxies)
                == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "::1", forwardedFor: ["2001:db8::1"], trustedProxies: proxies) == "2001:db8::1")
        #expect(ClientAddress.resolve(peer: "10.0.0.5", forwardedFor: [], trustedProxies: proxies) == "10.0.0.5")
    }

    @Test func behindOneProxyThePeerIsTheProxyAndItsOwnEntryIsTheClient() {
        // Any peer address: the only way in is the proxy (GETYOUR_APP_BEHIND_PROXY).
        #expect(
            ClientAddress.resolve(peer: "172.17.0.3", forwardedFor: ["6.6.6.6, 198.51.100.7"], trustedProxies: [], behindProxy: true)
                == "198.51.100.7")
        #expect(ClientAddress.resolve(peer: "172.17.0.3", forwardedFor: [], trustedProxies: [], behindProxy: true) == "172.17.0.3")
        #expect(ClientAddress.resolve(peer: "172.17.0.3", forwardedFor: ["6.6.6.6, 198.51.100.7"], trustedProxies: []) == "172.17.0.3")
    }

    /// Failed sign-ins from one client, each with a new forged `X-Forwarded-For` in front of
    /// the proxy's own entry: they all count against that one client address.
    @Test func aForgedForwardedForDoesNotEscapeTheSignInThrottle() async throws {
        let events = CollectedSecurityEvents()
        let settings = try TestApp.settings(
            variables: [
                "GETYOUR_APP_BEHIND_PROXY": "true", "GETYOUR_LIMITS_LOGIN_ADDRESS_DELAY_MS": "1", "GETYOUR_LIMITS_LOGIN_FAILURES": "3",
            ])
        try await TestApp.run(settings) { app in
            app.securityEvents = events
            func failSignIn(_ index: Int, forwarded: String) async throws {
                let browser = Browser(app)
                browser.overTheNetwork = true
                try await browser.get("/login")
                let answer = try await browser.post(
                    "/login", [("email", "guess\(index)@example.com"), ("password", "wrong password 123")],
                    headers: ["X-Forwarded-For": forwarded])
                #expect(answer.status == .unprocessableEntity)
            }
            for index in 0..<5 { try await failSignIn(index, forwarded: "10.9.\(index).1, 198.51.100.7") }
            let throttled = events.all.filter { $0.kind == .throttled }
            #expect(!throttled.isEmpty, "five failures from one client escaped the per-address limit")
            #expect(Set(events.all.filter { $0.kind == .signInFailed }.map(\.client)).count == 1)
            // Another client behind the same proxy has its own count.
            let before = throttled.count
            try await failSignIn(9, forwarded: "198.51.100.8")
            #expect(events.all.filter { $0.kind == .throttled }.count == before)
        }
    }

    @Test func networksParseAndMatch() throws {
        let network = try #require(IPNetwork("192.168.4.0/22"))
        #expect(network.contains(IPNetwork.parseAddress("192.168.7.255")!))
        #expect(!network.contains(IPNetwork.parseAddress("192.168.8.0")!))
        #expect(try #require(IPNetwork("::ffff:10.1.1.1")).contains(IPNetwork.parseAddress("10.1.1.1")!))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("not an address") == nil)
        #expect(throws: SettingsError.self) { try TestApp.settings(variables: ["GETYOUR_APP_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"]) }
    }

    /// The test client's socket address is 127.0.0.1; trusting it makes it "the proxy".
    func proxied(_ extra: [String: String] = [:]) throws -> Settings {
        try TestApp.settings(
            variables: ["GETYOUR_APP_TRUSTED_PROXIES": "127.0.0.1/32", "GETYOUR_LIMITS_LOGIN_ADDRESS_DELAY_MS": "0"].merging(extra) { $1 })
    }

    @Test func aForgedForwardedForDoesNotEscapeTheLimitAndAProxysEntryIsUsed() async throws {
        try await TestApp.run(try proxied(["GETYOUR_LIMITS_PASSWORD_RESETS": "2"])) { app in
            func reset(_ forwarded: String) async throws -> HTTPStatus {
                let browser = Browser(app)
                browser.overTheNetwork = true
                try await browser.get("/password-reset")
                return try await browser.post(
                    "/password-reset", [("email", "someone@example.com")], headers: ["X-Forwarded-For": forwarded]
                ).status
            }
            // One client, a new forged address in front each time: the proxy's entry decides.
            let first = try await reset("1.1.1.1, 198.51.100.7"), second = try await reset("2.2.2.2, 198.51.100.7")
            let third = try await reset("3.3.3.3, 198.51.100.7")
            // (The HTTP client follows the redirect: an accepted request ends in a 200 page.)
            #expect([first, second, third] == [.ok, .ok, .tooManyRequests])
            // Another client behind the same proxy is not affected.
            let other = try await reset("198.51.100.8")
            #expect(other == .ok)
        }
    }

    @Test func failuresFromOneAddressSlowItDownButNeverLockOutAnotherAccount() async throws {
        let events = CollectedSecurityEvents()
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_LIMITS_LOGIN_ADDRESS_DELAY_MS": "1"])) { app in
            app.securityEvents = events
            try await Browser(app).signUp(email: "victim@example.com", password: "amber kettle meadow stone")
            // Everyone shares one address (a carrier NAT): an attacker fails on other accounts.
            for index in 0..<6 {
                let failed = try await Browser(app).signIn(email: "guess\(index)@example.com", password: "wrong password 123")
                #expect(failed.status == .unprocessableEntity)
            }
            #expect(events.kinds().contains(.throttled))
            let owner = try await Browser(app).signIn(email: "victim@example.com", password: "amber kettle meadow stone")
            #expect(owner.status == .seeOther)
            #expect(owner.headers.first(name: .location) == "/apply")
        }
    }

    @Test func parallelGuessesCannotPassTheLimit() async throws {
        let events = CollectedSecurityEvents()
        // Enough connections that fifty requests at once never wait out the pool (a 503).
        let settings = try TestApp.settings(
            variables: ["GETYOUR_LIMITS_LOGIN_ADDRESS_DELAY_MS": "0", "GETYOUR_DATABASE_MAX_CONNECTIONS_PER_EVENT_LOOP": "8"])
        try await TestApp.run(settings) { app in
            app.securityEvents = events
            try await Browser(app).signUp(email: "maria.lopez@example.com")
            let browser = Browser(app)
            try await browser.get("/login")
            let token = try #require(browser.csrfToken)
            let cookie = browser.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let body = "email=maria.lopez%40example.com&password=wrong+password+123&csrf_token=\(Browser.encode(token))"
                        let request = TestingHTTPRequest(
                            method: .POST, url: URI(path: "/login"),
                            headers: ["Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie], body: ByteBuffer(string: body)
                        )
                        return try await app.testing().performTest(request: request).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let checked = statuses.filter { $0 == .unprocessableEntity }.count
            #expect(statuses.allSatisfy { $0 == .unprocessableEntity || $0 == .tooManyRequests }, "\(statuses)")
            #expect(checked <= 5, "\(checked) guesses reached the password check")
            #expect(events.all.filter { $0.kind == .signInFailed }.count == checked)
        }
    }

    @Test func securityEventsCarryARequestIdAndAReasonButNoEmailOrAddress() async throws {
        let events = CollectedSecurityEvents()
        try await TestApp.run { app in
            app.securityEvents = events
            try await Browser(app).signIn(email: "canary.person@example.com", password: "wrong password 123")
            let browser = Browser(app)
            try await browser.get("/login")
            try await browser.post("/login", [("email", "x@example.com"), ("password", "y")], csrf: false)
            let kinds = events.kinds()
            #expect(kinds.contains(.signInFailed))
            #expect(kinds.contains(.csrfRejected))
            for event in events.all {
                #expect(!event.requestID.isEmpty)
                #expect(!event.reason.isEmpty)
                let text = "\(event)"
                #expect(!text.contains("canary"))
                #expect(!text.contains("127.0.0.1"))
            }
        }
    }
}
