import Eligibility
import Fluent
import SQLKit
import Vapor

/// Every staff decision about an application, in one place (issue 9): the staff pages call
/// these, and later the coordinator pages and the partner API will too. Each decision is one
/// transaction holding the status change and its audit event; it is refused when the
/// lifecycle does not allow it, or when the application changed since the page the decision
/// was made on was rendered (`revision`).
struct StaffDecisions {
    enum Refusal: Error, Equatable {
        /// The application changed since the staff member's page was rendered.
        case stale
        /// The lifecycle does not allow this action by this person in this status.
        case notAllowed
        /// Verify needs at least one document that is not rejected for every checklist item.
        case incomplete
    }

    let request: Request
    var db: any Database { request.db(.primary) }

    /// Runs one decision's transaction, then clears this server's queue counts and records
    /// the analytics events it produced (only once it has committed).
    private func decision(_ body: @escaping @Sendable (any Database, PendingEvents) async throws -> Void) async throws {
        let events = PendingEvents()
        try await db.writeTransaction { db in try await body(db, events) }
        request.application.staffCounts.invalidate()
        events.record(on: request.application)
    }
    var now: Date { request.application.clock.now() }

    static func actor(_ role: User.Role) -> LifecycleActor {
        switch role {
        case .resident: .resident
        case .verifier: .verifier
        case .coordinator: .coordinator
        case .admin: .admin
        }
    }

    /// Refuses an action the lifecycle does not allow for the signed-in person (403 for a
    /// coordinator: they may see staff pages but not verify).
    func authorise(_ action: LifecycleAction) throws {
        guard ApplicationLifecycle.may(Self.actor(try request.currentUser.role), action) else { throw Abort(.forbidden) }
    }

    /// Takes the application's revision from `expected` to the next one and returns the
    /// application as locked for this transaction; `stale` when someone changed it first.
    static func claim(_ applicationID: UUID, revision expected: Int, on db: any Database) async throws -> ApplicationRecord {
        let rows = try await (db as! any SQLDatabase).raw(
            "UPDATE applications SET revision = revision + 1 WHERE id = \(bind: applicationID) AND revision = \(bind: expected) RETURNING id"
        ).all()
        guard !rows.isEmpty, let application = try await ApplicationRecord.find(applicationID, on: db) else { throw Refusal.stale }
        return application
    }

    private func transition(_ application: ApplicationRecord, _ action: LifecycleAction) throws -> ApplicationStatus {
        let actor = Self.actor(try request.currentUser.role)
        guard let next = ApplicationLifecycle.decide(actor, action, from: application.status) else { throw Refusal.notAllowed }
        return next
    }

    func verify(_ applicationID: UUID, revision: Int) async throws {
        try authorise(.verify)
        let user = try request.currentUser
        try await decision { db, events in
            let application = try await Self.claim(applicationID, revision: revision, on: db)
            let next = try transition(application, .verify)
            let checklist = try await DocumentChecklist.load(for: application, on: db)
            guard checklist.items.allSatisfy(\.hasUsableFile) else { throw Refusal.incomplete }
            try await Document.query(on: db).filter(\.$application.$id == applicationID).filter(\.$reviewState == .pending)
                .set(\.$reviewState, to: .accepted).update()
            application.status = next
            application.verifiedAt = now
            application.verifiedBy = try user.requireID()
            application.decidedAt = now
            application.decidedBy = try user.requireID()
            application.requestedItems = []
            application.statusMessage = nil
            try await application.update(on: db)
            try await request.audit(.applicationVerified, .init(household: application.$household.id, application: applicationID), on: db)
            events.add(.verified, household: application.$household.id, submittedAt: application.submittedAt)
            guard application.kind == .renewal else {
                try await tell(.verified, application, on: db) { _ in MessageData() }
                return
            }
            let outcome = try await RenewalDecision.apply(application, verifiedAt: now, on: db)
            events.add(.renewalVerified, household: application.$household.id)
            let programs = try await BenefitProgram.query(on: db).all()
            let messages = request.application.messages
            try await tell(.renewalVerified, application, on: db) { language in
                // One paragraph for what continues and one for what ended, each only when it has programs.
                let paragraphs = [
                    ("notify.renewal_verified_parts.kept", outcome.kept), ("notify.renewal_verified_parts.ended", outcome.ended),
                ]
                .filter { !$0.1.isEmpty }
                .map { key, slugs in
                    let names = slugs.compactMap { slug in programs.first { $0.slug == slug }?.name(language) }
                    return messages.text(key, language, [names.map { "- " + $0 }.joined(separator: "\n")])
                }
                return MessageData(reason: paragraphs.joined(separator: "\n\n"))
            }
        }
    }

    func requestInformation(_ applicationID: UUID, revision: Int, items: [String], message: String) async throws {
        try authorise(.requestInformation)
        let user = try request.currentUser
        try await decision { db, events in
            let application = try await Self.claim(applicationID, revision: revision, on: db)
            application.status = try transition(application, .requestInformation)
            application.requestedItems = items
            application.statusMessage = message
            application.answeredAt = nil
            try await application.update(on: db)
            try await ApplicationMessage(
                applicationID: applicationID, authorRole: user.role.rawValue, authorID: user.id, kind: .requestInformation, body: message,
                at: now
            ).create(on: db)
            try await request.audit(.informationRequested, .init(household: application.$household.id, application: applicationID), on: db)
            events.add(.informationRequested, household: application.$household.id)
            let checklist = try await DocumentChecklist.load(for: application, on: db)
            try await tell(.informationRequested, application, on: db, link: .respond) { language in
                MessageData(
                    reason: message,
                    items: checklist.items.filter { items.contains($0.key) }.map { $0.title(request.application.messages, language) })
            }
        }
    }

    func deny(_ applicationID: UUID, revision: Int, reason: String) async throws {
        try authorise(.deny)
        let user = try request.currentUser
        try await decision { db, events in
            let application = try await Self.claim(applicationID, revision: revision, on: db)
            application.status = try transition(application, .deny)
            application.statusMessage = reason
            application.decidedAt = now
            application.decidedBy = try user.requireID()
            application.requestedItems = []
            try await application.update(on: db)
            try await ApplicationMessage(
                applicationID: applicationID, authorRole: user.role.rawValue, authorID: user.id, kind: .denial, body: reason, at: now
            ).create(on: db)
            try await request.audit(.applicationDenied, .init(household: application.$household.id, application: applicationID), on: db)
            events.add(.denied, household: application.$household.id)
            try await tell(.denied, application, on: db) { _ in MessageData(reason: reason) }
        }
    }

    /// Accepts or rejects one file of an application that is with staff.
    func reviewDocument(_ documentID: UUID, revision: Int, accept: Bool, reason: String?, detail: String?) async throws {
        try authorise(.verify)
        try await decision { db, events in
            guard let document = try await Document.find(documentID, on: db) else { throw Abort(.notFound) }
            let application = try await Self.claim(document.$application.id, revision: revision, on: db)
            guard [.submitted, .needsInfo].contains(application.status) else { throw Refusal.notAllowed }
            document.reviewState = accept ? .accepted : .rejected
            document.reviewReason = accept ? nil : reason
            document.reviewDetail = accept ? nil : detail
            try await document.update(on: db)
            try await request.audit(
                accept ? .documentAccepted : .documentRejected,
                .init(household: application.$household.id, application: application.id, document: documentID), on: db)
            if !accept { events.add(.documentRejected, household: application.$household.id, detail: reason) }
        }
    }

    /// Queues the message that tells the household about a decision, in the same transaction.
    /// Links go to pages that ask the person to sign in; none signs anyone in.
    private func tell(
        _ kind: NotificationKind, _ application: ApplicationRecord, on db: any Database, link: SiteURL = .dashboard,
        _ data: @escaping (Language) -> MessageData
    ) async throws {
        let app = request.application
        try await app.outbox(on: db).enqueue(kind, household: application.$household.id) { user in
            var filled = data(user.preferredLanguage)
            filled.name = user.firstName
            filled.link = app.link(to: link)
            return filled
        }
    }

    /// An admin's coverage exception (P5, P7): the household's home address counts as having
    /// `flag`. The exception stays on the address through later applications; the reason is
    /// kept as an internal note (free text never goes into the audit trail).
    func addCoverageException(householdID: UUID, addressID: UUID, flag: String, reason: String, note: String) async throws {
        guard try request.currentUser.role == .admin else { throw Abort(.forbidden) }
        let user = try request.currentUser
        try await decision { db, _ in
            guard let address = try await Address.find(addressID, on: db) else { throw Abort(.notFound) }
            if !address.coverageExceptions.contains(flag) {
                address.coverageExceptions.append(flag)
                try await address.update(on: db)
            }
            try await StaffNote(householdID: householdID, authorID: try user.requireID(), body: note, at: now).create(on: db)
            try await request.audit(.coverageException, .init(household: householdID), on: db)
        }
    }

    /// Takes an exception away again (an admin's mistake, or the layer now covers the address).
    func removeCoverageException(householdID: UUID, addressID: UUID, flag: String, note: String) async throws {
        guard try request.currentUser.role == .admin else { throw Abort(.forbidden) }
        let user = try request.currentUser
        try await decision { db, _ in
            guard let address = try await Address.find(addressID, on: db), address.coverageExceptions.contains(flag) else {
                throw Abort(.notFound)
            }
            address.coverageExceptions.removeAll { $0 == flag }
            try await address.update(on: db)
            try await StaffNote(householdID: householdID, authorID: try user.requireID(), body: note, at: now).create(on: db)
            try await request.audit(.coverageExceptionRemoved, .init(household: householdID), on: db)
        }
    }

    /// Stores the coverage the address service found again (nil: not found, nothing changes
    /// but the audit trail).
    func refreshCoverage(householdID: UUID, addressID: UUID, to flags: Set<String>?) async throws {
        guard try request.currentUser.role == .admin else { throw Abort(.forbidden) }
        try await decision { db, _ in
            if let flags {
                try await Address.query(on: db).filter(\.$id == addressID).set(\.$coverage, to: flags.sorted()).update()
            }
            try await request.audit(.coverageRefreshed, .init(household: householdID), on: db)
        }
    }

    /// Closes or reopens a resident's account (admins). A closed account cannot sign in and is
    /// signed out at once; nothing is deleted (that is the data-rights work).
    func setArchived(_ archived: Bool, user userID: UUID, householdID: UUID) async throws {
        guard try request.currentUser.role == .admin else { throw Abort(.forbidden) }
        try await decision { db, _ in
            try await User.query(on: db).filter(\.$id == userID).filter(\.$role == .resident).set(\.$archived, to: archived).update()
            if archived { try await StoredSession.deleteAll(for: userID, on: db) }
            try await request.audit(archived ? .accountArchived : .accountRestored, .init(household: householdID, user: userID), on: db)
        }
    }

    func addNote(householdID: UUID, body: String) async throws {
        let user = try request.currentUser
        try await decision { db, _ in
            try await StaffNote(householdID: householdID, authorID: try user.requireID(), body: body, at: now).create(on: db)
            try await request.audit(.noteAdded, .init(household: householdID), on: db)
        }
    }
}

/// Reasons a document can be rejected; the resident reads the text (message files).
enum DocumentReview {
    static let reasons = ["unreadable", "expired", "wrong_document", "name_mismatch", "other"]
}

extension Document {
    /// Why staff rejected the file, as both staff and the resident read it; nil if not rejected.
    func rejectionText(_ messages: Messages, _ language: Language) -> String? {
        reviewReason.map { messages.text("reject_reason.\($0)", language) + (reviewDetail.map { ": " + $0 } ?? "") }
    }
}
