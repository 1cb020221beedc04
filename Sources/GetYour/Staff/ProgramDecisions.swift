import Eligibility
import Fluent
import SQLKit
import Vapor

/// Which benefit programs a staff member works on (P1, P7): admins every program, a
/// coordinator the programs on their account, verifiers none (403).
enum ProgramAccess {
    /// The program named in the URL, or 404 (unknown) / 403 (not this person's).
    static func program(_ request: Request) async throws -> BenefitProgram {
        let slug = request.parameters.get("slug") ?? ""
        guard let program = try await BenefitProgram.query(on: request.db(.primary)).filter(\.$slug == slug).first() else {
            throw Abort(.notFound)
        }
        guard try await mayWork(on: slug, request) else { throw Abort(.forbidden) }
        return program
    }

    static func mayWork(on slug: String, _ request: Request) async throws -> Bool {
        let user = try request.currentUser
        switch user.role {
        case .admin: return true
        case .coordinator: return try await slugs(of: user, request).contains(slug)
        case .verifier, .resident: return false
        }
    }

    /// The programs on a coordinator's account (every program for an admin).
    static func programs(_ request: Request) async throws -> [BenefitProgram] {
        let user = try request.currentUser
        let all = try await BenefitProgram.query(on: request.db(.primary)).sort(\.$sort).all()
        switch user.role {
        case .admin: return all
        case .coordinator:
            let mine = try await slugs(of: user, request)
            return all.filter { mine.contains($0.slug) }
        case .verifier, .resident: return []
        }
    }

    private static func slugs(of user: User, _ request: Request) async throws -> Set<String> {
        Set(try await StaffProgramScope.query(on: request.db(.primary)).filter(\.$user.$id == user.requireID()).all().map(\.programSlug))
    }
}

/// Every enrollment decision, in one place (issue 11): the coordinator pages and the partner
/// API (`APIDecisionController`) call it. A decision about several households is one transaction holding every
/// status change, its audit event and the message to the household; when one household does
/// not qualify nothing changes, and the caller is told which and why.
struct ProgramDecisions {
    let request: Request

    /// A household the decision could not be taken for.
    struct Problem: Error, Equatable, Sendable {
        let householdID: UUID
        let refusal: EnrollmentRefusal
    }

    struct Refused: Error {
        let problems: [Problem]
    }

    /// Who decides: the signed-in staff member, or a department's system through the API.
    struct Decider: Sendable {
        let actor: LifecycleActor
        /// For the audit trail: a user id, or `api:<sub>`.
        let auditID: String
        let auditRole: String
        /// The staff member, kept on the enrollment (`decided_by`, `enrolled_by`); nil for the API.
        let userID: UUID?

        static func staff(_ request: Request) throws -> Decider {
            let user = try request.currentUser
            let id = try user.requireID()
            return Decider(
                actor: StaffDecisions.actor(user.role), auditID: id.uuidString.lowercased(), auditRole: user.role.rawValue, userID: id)
        }

        /// A partner token: it decides as a coordinator of the programs its roles name.
        static func partner(_ caller: APICaller, _ request: Request) -> Decider {
            Decider(actor: .coordinator, auditID: "api:" + caller.subject, auditRole: "api", userID: nil)
        }
    }

    /// Enrolls or declines every household in `households` for `program`; throws `Refused`
    /// (and changes nothing) when any of them may not be decided.
    func decide(_ action: EnrollmentAction, program: BenefitProgram, households: [UUID], reason: String?, by decider: Decider? = nil)
        async throws
    {
        let decider = try decider ?? .staff(request)
        let actor = decider.actor, requestID = request.requestID
        let app = request.application, programID = try program.requireID(), now = app.clock.now()
        let dates = RenewalDates(timeZone: Request.cityTimeZone)
        let events = PendingEvents()
        try await request.db(.primary).writeTransaction { db in
            let enrollments = try await Enrollment.query(on: db).filter(\.$program.$id == programID)
                .filter(\.$household.$id ~~ households).all()
            let verified = try await Self.lastVerification(of: households, on: db)
            var problems: [Problem] = []
            var decided: [(Enrollment, EnrollmentStatus)] = []
            for householdID in households {
                guard let enrollment = enrollments.first(where: { $0.$household.id == householdID }) else {
                    problems.append(Problem(householdID: householdID, refusal: .notApplied))
                    continue
                }
                switch EnrollmentLifecycle.decide(actor, action, from: enrollment.status, householdVerified: verified[householdID] != nil) {
                case .success(let next): decided.append((enrollment, next))
                case .failure(let refusal): problems.append(Problem(householdID: householdID, refusal: refusal))
                }
            }
            guard problems.isEmpty else { throw Refused(problems: problems) }
            let outbox = app.outbox(on: db)
            for (enrollment, next) in decided {
                let householdID = enrollment.$household.id
                // Only an enrollment still `applied` changes: a colleague deciding the same
                // household a moment ago wins, and this whole decision is refused.
                let expires =
                    next == .enrolled
                    ? verified[householdID].flatMap { dates.expiry(verifiedAt: $0, renewalYears: program.renewalYears) } : nil
                let changed = try await (db as! any SQLDatabase).update(Enrollment.schema)
                    .set("status", to: next.rawValue)
                    .set("decided_at", to: now).set("decided_by", to: decider.userID)
                    .set("enrolled_at", to: next == .enrolled ? now : nil)
                    .set("enrolled_by", to: next == .enrolled ? decider.userID : nil)
                    .set("expires_at", to: expires)
                    .set("decline_reason", to: next == .declined ? reason : nil)
                    .where("id", .equal, try enrollment.requireID()).where("status", .equal, EnrollmentStatus.applied.rawValue)
                    .returning("id").all()
                guard !changed.isEmpty else { throw Refused(problems: [Problem(householdID: householdID, refusal: .notApplied)]) }
                try await AuditEvent(
                    actorID: decider.auditID, actorRole: decider.auditRole, action: next == .enrolled ? .enrolled : .declined,
                    subject: .init(household: householdID, program: program.slug), requestID: requestID, at: now
                ).create(on: db)
                events.add(next == .enrolled ? .enrolled : .declined, household: householdID, detail: program.slug)
                try await outbox.enqueue(next == .enrolled ? .enrolled : .declined, household: householdID) { resident in
                    MessageData(
                        name: resident.firstName, link: app.link(to: .dashboard), reason: reason ?? "",
                        program: program.name(resident.preferredLanguage))
                }
            }
        }
        app.staffCounts.invalidate()
        events.record(on: app)
    }

    /// When each household's most recent verified application was verified.
    static func lastVerification(of households: [UUID], on db: any Database) async throws -> [UUID: Date] {
        guard !households.isEmpty else { return [:] }
        let applications = try await ApplicationRecord.query(on: db).filter(\.$household.$id ~~ households)
            .filter(\.$status == .verified).all()
        var latest: [UUID: Date] = [:]
        for application in applications {
            guard let at = application.verifiedAt else { continue }
            let id = application.$household.id
            if latest[id].map({ at > $0 }) ?? true { latest[id] = at }
        }
        return latest
    }
}
