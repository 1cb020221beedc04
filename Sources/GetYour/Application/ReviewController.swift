import Eligibility
import Fluent
import SQLKit
import Vapor

/// `/apply/review` and `/apply/submit` (P3 steps 9–10): every answer with "Change" links,
/// missing items listed, and a submit that happens once however often it is posted.
struct ReviewController {
    struct Section: Encodable {
        let titleKey: String
        let lines: [String]
        let changeURL: String
    }

    struct Page: StepPage {
        let header: StepHeader
        let sections: [Section]
        let missing: [String]
        let complete: Bool
        let declaration: FormField
        /// A renewal: what differs from the application it renews.
        let isRenewal: Bool
        let changes: [RenewalChanges.Line]
        let hasChanges: Bool
        var layout: LayoutContext?
    }

    struct SubmittedPage: Encodable {
        let layout: LayoutContext
        let reference: String
        let submittedOn: String
    }

    func show(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .review, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        return try await render(request, draft, FormErrors(), status: .ok)
    }

    func submit(_ request: Request) async throws -> Response {
        guard let draft = try await request.flow.draft() else {
            // Already submitted (a double click or the back button): show the confirmation.
            if try await request.flow.latestSubmitted() != nil {
                return request.redirect(to: SiteURL.submitted.path(), redirectType: .normal)
            }
            return request.redirect(to: SiteURL.apply.path(), redirectType: .normal)
        }
        if let redirect = try await request.flow.redirect(ifUnreachable: .review, draft) { return redirect }
        var errors = FormErrors()
        let checklist = try await DocumentChecklist.load(for: draft, on: request.db(.primary))
        if !Self.missing(draft, checklist, request).isEmpty { errors.add("declaration", "review.error.incomplete") }
        if (try? request.content.get(String.self, at: "declaration")) != "yes" { errors.add("declaration", "review.error.declaration") }
        guard errors.isEmpty else { return try await render(request, draft, errors, status: .unprocessableEntity) }

        let db = request.db(.primary)
        let now = request.application.clock.now()
        let reference = Self.newReference(), app = request.application
        let moved = try await db.writeTransaction { db -> Bool in
            // Only a draft moves to submitted, so a second POST racing this one changes nothing
            // (and queues no second welcome).
            let moved = try await (db as! any SQLDatabase).update(ApplicationRecord.schema)
                .set("status", to: ApplicationRecord.Status.submitted.rawValue).set("submitted_at", to: now).set("reference", to: reference)
                .where("id", .equal, try draft.requireID()).where("status", .equal, ApplicationRecord.Status.draft.rawValue)
                .returning("id").all()
            guard !moved.isEmpty else { return false }
            try await Household.query(on: db).filter(\.$id == draft.$household.id).set(\.$currentApplicationID, to: draft.id)
                .set(\.$changedAt, to: now).update()
            try await app.outbox(on: db).enqueue(.welcome, household: draft.$household.id) { resident in
                MessageData(name: resident.firstName, link: app.link(to: .dashboard), reference: reference)
            }
            return true
        }
        if moved {
            app.recordEvent(
                draft.kind == .renewal ? .renewalSubmitted : .submitted, household: draft.$household.id, detail: draft.kind.rawValue)
        }
        request.application.staffCounts.invalidate()
        try await request.application.submissionHooks.run(for: draft.requireID(), on: request)
        return request.redirect(to: SiteURL.submitted.path(), redirectType: .normal)
    }

    func submitted(_ request: Request) async throws -> Response {
        guard let application = try await request.flow.latestSubmitted(), let reference = application.reference else {
            return request.redirect(to: SiteURL.apply.path(), redirectType: .normal)
        }
        let formatter = request.longDateFormatter
        let page = SubmittedPage(
            layout: request.layout(titleKey: "submitted.title"), reference: reference,
            submittedOn: application.submittedAt.map(formatter.string(from:)) ?? "")
        return try await request.view.render("application/submitted", page).encodeResponse(for: request)
    }

    /// "GY-" and 8 characters without look-alikes (no 0/O, 1/I/L).
    static func newReference() -> String {
        let alphabet = Array("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
        return "GY-" + String((0..<8).map { _ in alphabet.randomElement()! })
    }

    /// What still blocks submitting, in the person's language. The checklist already holds
    /// every member and selected program, so nothing is loaded again.
    static func missing(_ draft: ApplicationRecord, _ checklist: DocumentChecklist, _ request: Request) -> [String] {
        let messages = request.application.messages, language = request.language
        var missing: [String] = []
        if draft.$eligibilityAddress.id == nil { missing.append(messages.text("review.missing.address", language)) }
        if draft.rentOwn == nil || draft.duration == nil { missing.append(messages.text("review.missing.household", language)) }
        for member in checklist.members where !member.isComplete {
            missing.append(messages.text("review.missing.member", language, [member.fullName]))
        }
        if !draft.programsAnswered { missing.append(messages.text("review.missing.programs", language)) }
        for item in checklist.missing {
            let name = item.member?.fullName ?? item.program?.name(language) ?? ""
            missing.append(messages.text(item.member == nil ? "review.missing.proof" : "review.missing.id", language, [name]))
        }
        return missing
    }

    private func render(_ request: Request, _ draft: ApplicationRecord, _ errors: FormErrors, status: HTTPResponseStatus) async throws
        -> Response
    {
        let db = request.db(.primary), messages = request.application.messages, language = request.language
        try await draft.$eligibilityAddress.load(on: db)
        try await draft.$mailingAddress.load(on: db)
        let checklist = try await DocumentChecklist.load(for: draft, on: db)
        let members = checklist.members, programs = checklist.programs
        func t(_ key: String, _ args: [String] = []) -> String { messages.text(key, language, args) }
        let home = draft.eligibilityAddress
        var addressLines = home?.lines ?? []
        if let home, home.verified == false { addressLines.append(t("review.address_unverified")) }
        if let mailing = draft.mailingAddress, mailing.id != home?.id {
            addressLines.append(t("review.mailing") + " " + mailing.lines.joined(separator: ", "))
        } else if home != nil {
            addressLines.append(t("review.mailing_same"))
        }
        let sections = [
            Section(titleKey: "review.section.address", lines: addressLines, changeURL: SiteURL.address.path() + "?return=review"),
            Section(
                titleKey: "review.section.household",
                lines: [
                    draft.rentOwn.map { t("household.\($0.rawValue)") } ?? t("review.not_answered"),
                    draft.duration.map { t("household.\($0.rawValue)") } ?? t("review.not_answered"),
                ], changeURL: SiteURL.household.path() + "?return=review"),
            Section(
                titleKey: "review.section.members",
                lines: [t("review.household_size", ["\(members.count)"])]
                    + members.map { "\($0.fullName) — \($0.birthdate.isEmpty ? t("review.not_answered") : $0.birthdate)" },
                changeURL: SiteURL.members.path() + "?return=review"),
            Section(
                titleKey: "review.section.programs",
                lines: draft.noPrograms
                    ? [t("programs.none")] : (programs.isEmpty ? [t("review.not_answered")] : programs.map { $0.name(language) }),
                changeURL: SiteURL.programsStep.path() + "?return=review"),
            Section(
                titleKey: "review.section.documents",
                lines: checklist.items.map { item in
                    let name = item.title(messages, language)
                    return "\(name): " + (item.documents.isEmpty ? t("review.no_files") : t("review.files", ["\(item.documents.count)"]))
                },
                changeURL: SiteURL.documents.path() + "?return=review"),
        ]
        let missing = Self.missing(draft, checklist, request)
        let changes = try await RenewalChanges.compare(draft, on: db, messages: messages, language: language)
        let page = Page(
            header: StepHeader(request, step: .review, titleKey: "review.title", errors: errors),
            sections: sections, missing: missing, complete: missing.isEmpty,
            declaration: .choice(
                "declaration", label: "review.declaration_legend", hint: "review.declaration_text",
                options: [("yes", "review.declaration")], selected: [], errors: errors.resolved(request)),
            isRenewal: draft.kind == .renewal, changes: changes, hasChanges: !changes.isEmpty)
        return try await request.renderStep("application/review", page).response(status, for: request)
    }
}

/// Work that follows a submission (auto-apply, notifications), registered by other
/// capabilities so that the review step need not know them.
struct SubmissionHooks: Sendable {
    var hooks: [@Sendable (UUID, Request) async throws -> Void] = []

    func run(for applicationID: UUID, on request: Request) async throws {
        for hook in hooks { try await hook(applicationID, request) }
    }
}

private enum SubmissionHooksKey: StorageKey { typealias Value = SubmissionHooks }

extension Application {
    var submissionHooks: SubmissionHooks {
        get { storage[SubmissionHooksKey.self] ?? SubmissionHooks() }
        set { storage[SubmissionHooksKey.self] = newValue }
    }
}
