import Crypto
import Fluent
import Foundation
import JWT
import SQLKit
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// The partner API's door (P14, issue 15): every token that should not pass is a 401 with the
/// right `code`, answers are JSON (never a page, never a cookie), and a department sees only
/// households of its programs. Audited with the token's `sub` and ids only.
@Suite("Partner API: tokens and scoping")
struct APIAuthTests {
    /// A submitted household that applied to recreation from its dashboard, with a named contact.
    func household(_ app: Application) async throws -> UUID {
        let browser = Browser(app)
        try await browser.applyUpToReview()
        try await browser.get("/settings/contact")
        try await browser.post(
            "/settings/contact",
            [
                ("contact_name", "Rosa Helper"), ("contact_email", "rosa.helper@example.net"), ("contact_phone", ""),
                ("contact_relationship", "daughter"), ("contact_receives", "copy"),
            ])
        try await browser.get("/apply/review")
        try await browser.post("/apply/submit", [("declaration", "yes")])
        let household = try #require(try await Household.query(on: app.db(.primary)).first())
        let program = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first())
        try await Enrollment(householdID: household.requireID(), programID: program.requireID(), applicationID: nil, now: app.clock.now())
            .create(on: app.db(.primary))
        return try household.requireID()
    }

    enum Case: String, CaseIterable, Sendable {
        case none, notBearer, malformed, wrongSignature, wrongKid, expired, algNone, hsRsConfusion, tooLong, noRoles
    }

    @Test(arguments: Case.allCases)
    func aTokenThatShouldNotPassIsRefused(_ kind: Case) async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let id = try await household(app)
            let now = app.clock.now()
            let claims = APITest.claims(now: now)
            var expected = ("unauthorized", HTTPResponseStatus.unauthorized)
            let token: String?
            var header: String? = nil
            switch kind {
            case .none: token = nil
            case .notBearer: token = nil; header = "Basic dXNlcjpwYXNz"
            case .malformed: token = "not.a-token"
            case .wrongSignature: token = try await APITest.token(claims, key: .hs256("another-secret-0123456789-abcdefghijkl"))
            case .wrongKid:
                // Signed with the real HS256 secret, but naming a key that does not exist: JWTKit alone
                // would fall back to its default key and accept it.
                token = try await APITest.token(claims, kid: "es-unknown")
            case .expired:
                token = try await APITest.token(APITest.claims(now: now.addingTimeInterval(-3600)))
                expected = ("token_expired", .unauthorized)
            case .algNone:
                token = try APITest.handMade(header: #"{"alg":"none","typ":"JWT"}"#, claims: claims) { _ in Data() }
            case .hsRsConfusion:
                // Signed with HMAC, using the RSA public key's text as the secret, claiming the RSA key.
                let publicPEM = try APITest.pem("rs256-public.pem")
                token = try APITest.handMade(header: #"{"alg":"HS256","typ":"JWT","kid":"rs-1"}"#, claims: claims) { input in
                    Data(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: Data(publicPEM.utf8))))
                }
            case .tooLong: token = try await APITest.token(APITest.claims(now: now, lifetime: 3 * 3600))
            case .noRoles:
                token = try await APITest.token(APITest.claims(roles: ["reader"], now: now))
                expected = ("forbidden", .forbidden)
            }
            var headers = HTTPHeaders()
            if let token { headers.add(name: .authorization, value: "Bearer \(token)") }
            if let header { headers.add(name: .authorization, value: header) }
            let response = try await app.testing(method: .inMemory).performTest(
                request: TestingHTTPRequest(
                    method: .GET, url: URI(path: "/api/v1/households/\(id)/contact"), headers: headers, body: ByteBuffer()))
            #expect(response.status == expected.1)
            #expect(response.headers.contentType?.subType == "json")
            let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
            #expect(json?["code"] as? String == expected.0)
            #expect((json?["request_id"] as? String)?.isEmpty == false)
            #expect(response.headers[.setCookie].isEmpty, "the API never sets a cookie")
            if expected.1 == .unauthorized { #expect(response.headers.first(name: .wwwAuthenticate) == "Bearer") }
            #expect(try await AuditEvent.query(on: app.db(.primary)).filter(\.$actorRole == "api").count() == 0)
        }
    }

    @Test(arguments: ["hs256", "es256", "rs256"])
    func aGoodTokenOfEachKindPasses(_ kind: String) async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let id = try await household(app)
            let claims = APITest.claims(roles: ["admin"], now: app.clock.now())
            let token =
                switch kind {
                case "es256": try await APITest.token(claims, key: .es256, kid: "es-1")
                case "rs256": try await APITest.token(claims, key: .rs256, kid: "rs-1")
                default: try await APITest.token(claims)
                }
            let (response, json) = try await app.apiGet("/api/v1/households/\(id)/contact", token: token)
            #expect(response.status == .ok)
            let contact = json["contact"] as? [String: Any]
            #expect(contact?["name"] as? String == "Rosa Helper" && contact?["receives"] as? String == "copy")
        }
    }

    @Test func aDepartmentSeesOnlyHouseholdsOfItsProgramsAndEveryReadIsAuditedWithoutDetails() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let id = try await household(app)
            let now = app.clock.now()
            let recreation = try await APITest.token(APITest.claims(now: now))
            let connexion = try await APITest.token(APITest.claims(sub: "connexion-dept", roles: ["program:connexion"], now: now))
            let (own, json) = try await app.apiGet("/api/v1/households/\(id)/contact", token: recreation)
            #expect(own.status == .ok && json["household_id"] as? String == id.uuidString)
            let (other, otherJSON) = try await app.apiGet("/api/v1/households/\(id)/contact", token: connexion)
            #expect(other.status == .notFound && otherJSON["code"] as? String == "not_found")
            let (unknown, _) = try await app.apiGet("/api/v1/households/\(UUID())/contact", token: recreation)
            #expect(unknown.status == .notFound)

            let events = try await AuditEvent.query(on: app.db(.primary)).filter(\.$actorRole == "api").all()
            #expect(events.count == 1)
            #expect(events.first?.actorID == "api:recreation-dept" && events.first?.action == "contact.viewed")
            #expect(events.first?.householdID == id)
            let rows = try await (app.db(.primary) as! any SQLDatabase).raw("SELECT * FROM audit_events").all()
            for row in rows {
                for column in row.allColumns {
                    let value = ((try? row.decode(column: column, as: String?.self)) ?? nil) ?? ""
                    #expect(!value.lowercased().contains("rosa"), "audit column \(column) holds the contact's name")
                }
            }
        }
    }

    @Test func eachCallerHasItsOwnRateLimit() async throws {
        try await TestApp.run(try APITest.settings(["GETYOUR_API_REQUESTS_PER_MINUTE": "3"])) { app in
            let id = try await household(app)
            let now = app.clock.now()
            let busy = try await APITest.token(APITest.claims(now: now))
            for _ in 0..<3 {
                let (ok, _) = try await app.apiGet("/api/v1/households/\(id)/contact", token: busy)
                #expect(ok.status == .ok)
            }
            let (limited, json) = try await app.apiGet("/api/v1/households/\(id)/contact", token: busy)
            #expect(limited.status == .tooManyRequests && json["code"] as? String == "rate_limited")
            #expect(limited.headers.first(name: .retryAfter) == "60")
            let calm = try await APITest.token(APITest.claims(sub: "recreation-backup", now: now))
            #expect(try await app.apiGet("/api/v1/households/\(id)/contact", token: calm).0.status == .ok, "another caller is not slowed")
            app.clock.travel(by: 61)
            let later = try await APITest.token(APITest.claims(now: app.clock.now()))
            #expect(try await app.apiGet("/api/v1/households/\(id)/contact", token: later).0.status == .ok, "a minute later it goes on")
        }
    }

    @Test func unknownAddressesAreJSONAndTheAPIIsOffWithoutAKey() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let (response, json) = try await app.apiGet("/api/v1/nothing-here", token: nil)
            #expect(response.status == .notFound && json["code"] as? String == "not_found")
            #expect(response.headers.contentType?.subType == "json")
        }
        try await TestApp.run { app in
            let (response, json) = try await app.apiGet("/api/v1/households/\(UUID())/contact", token: nil)
            #expect(response.status == .notFound && json["code"] as? String == "not_found")
            #expect((json["message"] as? String)?.contains("not enabled") == true)
        }
    }

    @Test func theOperatorsCommandPrintsATokenThatWorks() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let id = try await household(app)
            try await runCommand(app, "api-token", "--sub", "recreation-dept", "--roles", "program:recreation", "--ttl", "15m")
            let token = try await APITokenCommand.token(app, sub: "recreation-dept", roles: "program:recreation", ttl: "15m")
            let (response, _) = try await app.apiGet("/api/v1/households/\(id)/contact", token: token)
            #expect(response.status == .ok)
            await #expect(throws: (any Error).self) {
                _ = try await APITokenCommand.token(app, sub: "x", roles: "program:recreation", ttl: "3h")
            }
            await #expect(throws: (any Error).self) {
                _ = try await APITokenCommand.token(app, sub: "x", roles: "reader", ttl: "15m")
            }
        }
    }
}
