import Crypto
import Eligibility
import Fluent
import Foundation
import SQLKit
import Vapor

/// `POST /api/v1/programs/{slug}/enrollments/{id}` with `{"status": "enrolled"|"declined",
/// "reason": "…"}` (P14): a department enrolls or declines a household through the same code
/// as a coordinator (`ProgramDecisions`): the household must be verified, the expiry is set,
/// the resident is told, the decision is audited (actor `api:<sub>`).
///
/// With an `Idempotency-Key` header the call is safe to repeat: the first answer is kept for
/// this caller and key and given again (`Idempotent-Replayed: true`) without deciding twice;
/// the same key with a different request is a `conflict`.
struct APIDecisionController {
    struct Body: Decodable {
        let status: String?
        let reason: String?
    }

    struct Answer: Content {
        let id: UUID
        let household_id: UUID
        let status: String
        let decided_at: Date?
        let enrolled_at: Date?
        let expires_at: Date?
        let decline_reason: String?
    }

    static let maxReason = 2000

    func decide(_ request: Request) async throws -> Response {
        let caller = try request.requireAPICaller()
        let db = request.db(.primary)
        let slug = request.parameters.get("slug") ?? ""
        guard let program = try await BenefitProgram.query(on: db).filter(\.$slug == slug).first() else {
            throw APIError.notFound("No program has that slug.")
        }
        guard caller.may(program: slug) else { throw APIError.forbidden("This token's roles do not include program:\(slug).") }
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let enrollment = try await Enrollment.query(on: db).filter(\.$id == id).filter(\.$program.$id == program.requireID()).first()
        else { throw APIError.notFound("This program has no enrollment with that id.") }

        guard request.headers.contentType?.subType == "json" else { throw APIError.invalid("Send JSON (Content-Type: application/json).") }
        let body: Body
        do { body = try request.content.decode(Body.self, using: JSONDecoder()) } catch {
            throw APIError.invalid(
                "The body must be JSON like {\"status\": \"enrolled\"} or {\"status\": \"declined\", \"reason\": \"…\"}.")
        }
        let action: EnrollmentAction
        switch body.status {
        case "enrolled": action = .enroll
        case "declined": action = .decline
        default: throw APIError.invalid("status must be enrolled or declined.")
        }
        let reason = body.reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if action == .decline, reason.isEmpty { throw APIError.invalid("A decline needs a reason: the resident reads it.") }
        guard reason.count <= Self.maxReason else { throw APIError.invalid("reason may have at most \(Self.maxReason) characters.") }

        var claim: APIIdempotency?
        if let key = request.headers.first(name: "Idempotency-Key") {
            guard (1...200).contains(key.count) else { throw APIError.invalid("Idempotency-Key must be 1 to 200 characters.") }
            let fingerprint = SHA256.hash(data: Data("\(id)|\(body.status ?? "")|\(reason)".utf8)).hexString
            switch try await APIIdempotency.claim(subject: caller.subject, key: key, fingerprint: fingerprint, request: request) {
            case .claimed(let row): claim = row
            case .replay(let response): return response
            }
        }
        do {
            do {
                try await ProgramDecisions(request: request).decide(
                    action, program: program, households: [enrollment.$household.id], reason: action == .decline ? reason : nil,
                    by: .partner(caller, request))
            } catch let refused as ProgramDecisions.Refused {
                switch refused.problems.first?.refusal {
                case .notVerified?:
                    throw APIError(status: .conflict, code: .conflict, message: "The household's application is not verified.")
                case .notAllowed?:
                    throw APIError.forbidden("This decision is not allowed.")
                default:
                    throw APIError(
                        status: .conflict, code: .conflict, message: "This enrollment was already decided (it is no longer applied).")
                }
            }
            guard let decided = try await Enrollment.find(id, on: db) else { throw APIError.notFound() }
            let answer = Answer(
                id: id, household_id: decided.$household.id, status: decided.status.rawValue, decided_at: decided.decidedAt,
                enrolled_at: decided.enrolledAt, expires_at: decided.expiresAt, decline_reason: decided.declineReason)
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            let data = try encoder.encode(answer)
            if let claim { try await claim.finish(status: 200, body: data, on: db) }
            return Response(
                status: .ok, headers: ["Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"],
                body: .init(data: data))
        } catch {
            if let claim { try? await claim.delete(on: db) }
            throw error
        }
    }
}

/// One `Idempotency-Key` of one caller: claimed before the decision (so two copies of a
/// request racing each other decide once), then holding the answer to give again.
final class APIIdempotency: Model, @unchecked Sendable {
    static let schema = "api_idempotency"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "subject") var subject: String
    @Field(key: "key") var key: String
    @Field(key: "fingerprint") var fingerprint: String
    /// 0 while the first request is being answered.
    @Field(key: "status_code") var statusCode: Int
    @OptionalField(key: "body") var body: Data?
    @Field(key: "created_at") var createdAt: Date

    init() {}

    enum Outcome {
        case claimed(APIIdempotency)
        case replay(Response)
    }

    static func claim(subject: String, key: String, fingerprint: String, request: Request) async throws -> Outcome {
        let db = request.db(.primary), now = request.application.clock.now()
        let inserted = try await (db as! any SQLDatabase).raw(
            """
            INSERT INTO api_idempotency (subject, key, fingerprint, status_code, created_at)
            VALUES (\(bind: subject), \(bind: key), \(bind: fingerprint), 0, \(bind: now))
            ON CONFLICT (subject, key) DO NOTHING RETURNING id
            """
        ).first()
        // Claimed: the row is what was just inserted; no need to read it back.
        if let inserted {
            let claimed = APIIdempotency()
            claimed.id = try inserted.decode(column: "id", as: Int.self)
            claimed.$id.exists = true
            (claimed.subject, claimed.key, claimed.fingerprint, claimed.statusCode, claimed.createdAt) = (subject, key, fingerprint, 0, now)
            return .claimed(claimed)
        }
        let existing = try await APIIdempotency.query(on: db).filter(\.$subject == subject).filter(\.$key == key).first()
        guard let existing else { throw APIError(status: .conflict, code: .conflict, message: "Try again.") }
        guard existing.fingerprint == fingerprint else {
            throw APIError(status: .conflict, code: .conflict, message: "This Idempotency-Key was used for a different request.")
        }
        guard existing.statusCode != 0, let body = existing.body else {
            throw APIError(status: .conflict, code: .conflict, message: "A request with this Idempotency-Key is still being answered.")
        }
        return .replay(
            Response(
                status: HTTPResponseStatus(statusCode: existing.statusCode),
                headers: ["Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "Idempotent-Replayed": "true"],
                body: .init(data: body)))
    }

    func finish(status: Int, body: Data, on db: any Database) async throws {
        statusCode = status
        self.body = body
        try await update(on: db)
    }
}

/// P034: the partner API's idempotency keys.
struct CreateAPIIdempotency: AsyncMigration {
    var name: String { "P034_CreateAPIIdempotency" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_idempotency")
            .field("id", .int64, .identifier(auto: true))
            .field("subject", .string, .required)
            .field("key", .string, .required)
            .field("fingerprint", .string, .required)
            .field("status_code", .int, .required)
            .field("body", .data)
            .field("created_at", .datetime, .required)
            .unique(on: "subject", "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_idempotency").delete()
    }
}
