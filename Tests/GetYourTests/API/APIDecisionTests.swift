import Eligibility
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// `POST /api/v1/programs/{slug}/enrollments/{id}` (P14, issue 15): the coordinator's rules and
/// effects, and idempotency.
@Suite("Partner API: enrollment decisions")
struct APIDecisionTests {
    func post(_ app: Application, _ path: String, token: String, json: String, key: String? = nil) async throws
        -> (TestingHTTPResponse, [String: Any])
    {
        var headers = HTTPHeaders([("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")])
        if let key { headers.add(name: "Idempotency-Key", value: key) }
        let response = try await app.testing(method: .inMemory).performTest(
            request: TestingHTTPRequest(method: .POST, url: URI(path: path), headers: headers, body: ByteBuffer(string: json)))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
        return (response, object)
    }

    @Test func anEnrollmentHasTheCoordinatorsEffectsAndARepeatDecidesNothing() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let scene = try await ProgramScene.make(app)
            let (resident, maria) = try await scene.household("maria@example.com")
            let enrollment = try await scene.enrollment(maria)
            let token = try await APITest.token(APITest.claims(now: app.clock.now()))
            let path = "/api/v1/programs/recreation/enrollments/\(enrollment.id!.uuidString)"
            let (first, json) = try await post(app, path, token: token, json: #"{"status": "enrolled"}"#, key: "k-1")
            #expect(first.status == .ok)
            #expect(json["status"] as? String == "enrolled" && json["expires_at"] is String)
            // The same effects as a coordinator's decision.
            let dashboard = try await resident.get("/dashboard").text
            #expect(dashboard.contains("<h2 id=\"enrolled-heading\">Enrolled</h2>"))
            let coordinator = try await scene.coordinator()
            let list = try await coordinator.get("/staff/programs/recreation?status=enrolled").text
            #expect(list.contains("Maria"))
            let mail = try await app.sentMail().filter { $0.range(of: #"Kind: [a-z_+]*enrolled"#, options: .regularExpression) != nil }
            #expect(mail.count == 1)
            let audit = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "enrollment.enrolled").all()
            #expect(audit.count == 1 && audit.first?.actorID == "api:recreation-dept" && audit.first?.programSlug == "recreation")

            // Again with the same key: the same answer, nothing decided twice.
            let (again, againJSON) = try await post(app, path, token: token, json: #"{"status": "enrolled"}"#, key: "k-1")
            #expect(again.status == .ok && again.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(againJSON["decided_at"] as? String == json["decided_at"] as? String)
            #expect(
                try await app.sentMail().filter { $0.range(of: #"Kind: [a-z_+]*enrolled"#, options: .regularExpression) != nil }.count == 1)
            // The same key for another request, and a new key for an enrollment already decided.
            let (reused, reusedJSON) = try await post(app, path, token: token, json: #"{"status": "declined", "reason": "x"}"#, key: "k-1")
            #expect(reused.status == .conflict && reusedJSON["code"] as? String == "conflict")
            let (decided, decidedJSON) = try await post(
                app, path, token: token, json: #"{"status": "declined", "reason": "x"}"#, key: "k-2")
            #expect(decided.status == .conflict && decidedJSON["code"] as? String == "conflict")
        }
    }

    @Test func theRulesAreTheCoordinators() async throws {
        try await TestApp.run(try APITest.settings()) { app in
            let scene = try await ProgramScene.make(app)
            let (_, unverified) = try await scene.household("unverified@example.com", verified: false)
            let (_, maria) = try await scene.household("maria@example.com")
            let token = try await APITest.token(APITest.claims(now: app.clock.now()))
            let waiting = try await scene.enrollment(unverified)
            let (notVerified, json) = try await post(
                app, "/api/v1/programs/recreation/enrollments/\(waiting.id!.uuidString)", token: token, json: #"{"status": "enrolled"}"#)
            #expect(notVerified.status == .conflict && json["code"] as? String == "conflict")
            #expect(try await scene.enrollment(unverified).status == .applied)

            let target = "/api/v1/programs/recreation/enrollments/\(try await scene.enrollment(maria).id!.uuidString)"
            let (noReason, noReasonJSON) = try await post(app, target, token: token, json: #"{"status": "declined", "reason": " "}"#)
            #expect(noReason.status == .badRequest && noReasonJSON["code"] as? String == "invalid_request")
            let (garbage, _) = try await post(app, target, token: token, json: "{not json")
            #expect(garbage.status == .badRequest)
            let other = try await APITest.token(APITest.claims(sub: "connexion-dept", roles: ["program:connexion"], now: app.clock.now()))
            let (forbidden, _) = try await post(app, target, token: other, json: #"{"status": "enrolled"}"#)
            #expect(forbidden.status == .forbidden)
            let (declined, declinedJSON) = try await post(
                app, target, token: token, json: #"{"status": "declined", "reason": "Outside our area"}"#)
            #expect(declined.status == .ok && declinedJSON["decline_reason"] as? String == "Outside our area")
        }
    }
}
