import Eligibility
import Fluent
import Vapor

/// The POSTs of the household page (P13 continued): each validates its form, hands the
/// decision to `StaffDecisions` (one transaction with its audit event) and redirects back to
/// the household with a confirmation; bad input or a stale page re-renders the household page
/// with 422 and a message, keeping what was typed.
struct StaffActionsController {
    let page = HouseholdReviewController()

    func verify(_ request: Request) async throws -> Response {
        let (application, revision) = try await target(request)
        return try await decide(request, application, typed: [:]) {
            try await StaffDecisions(request: request).verify(try application.requireID(), revision: revision)
            return "verified"
        }
    }

    func requestInformation(_ request: Request) async throws -> Response {
        let (application, revision) = try await target(request)
        let items = ((try? request.content.get([String].self, at: "items")) ?? [])
        let message = text(request, "message")
        var errors = FormErrors()
        let checklist = try await DocumentChecklist.load(for: application, on: request.db(.primary))
        let known = Set(checklist.items.map(\.key) + [DocumentChecklist.otherKey])
        if items.isEmpty || !items.allSatisfy(known.contains) { errors.add("items", "staff.error.items") }
        if message.isEmpty {
            errors.add("message", "staff.error.message")
        } else if message.count > 2000 {
            errors.add("message", "staff.error.too_long", ["2000"])
        }
        let typed = ["message": message, "items": items.joined(separator: ",")]
        guard errors.isEmpty else { return try await rerender(request, errors, typed) }
        return try await decide(request, application, typed: typed) {
            try await StaffDecisions(request: request).requestInformation(
                try application.requireID(), revision: revision, items: Array(Set(items)).sorted(), message: message)
            return "requested"
        }
    }

    func deny(_ request: Request) async throws -> Response {
        let (application, revision) = try await target(request)
        let reason = text(request, "reason")
        var errors = FormErrors()
        if reason.isEmpty {
            errors.add("reason", "staff.error.deny_reason")
        } else if reason.count > 2000 {
            errors.add("reason", "staff.error.too_long", ["2000"])
        }
        guard errors.isEmpty else { return try await rerender(request, errors, ["reason": reason]) }
        return try await decide(request, application, typed: ["reason": reason]) {
            try await StaffDecisions(request: request).deny(try application.requireID(), revision: revision, reason: reason)
            return "denied"
        }
    }

    func reviewDocument(_ request: Request) async throws -> Response {
        try StaffDecisions(request: request).authorise(.verify)
        let db = request.db(.primary)
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let document = try await Document.query(on: db).filter(\.$id == id).with(\.$application).first()
        else { throw Abort(.notFound) }
        let application = document.application
        request.parameters.set("id", to: application.$household.id.uuidString)
        let decision = text(request, "decision"), reason = text(request, "reason"), detail = text(request, "reason_detail")
        var errors = FormErrors()
        if decision != "accept" && decision != "reject" { errors.add("decision-\(id.uuidString)", "staff.error.decision") }
        if decision == "reject" && !DocumentReview.reasons.contains(reason) {
            errors.add("reason-\(id.uuidString)", "staff.error.reject_reason")
        }
        if decision == "reject" && reason == "other" && detail.isEmpty {
            errors.add("reason-\(id.uuidString)", "staff.error.reject_detail")
        }
        if detail.count > 500 { errors.add("reason-\(id.uuidString)", "staff.error.too_long", ["500"]) }
        guard errors.isEmpty else { return try await rerender(request, errors, [:]) }
        let revision = (try? request.content.get(Int.self, at: "revision")) ?? -1
        return try await decide(request, application, typed: [:]) {
            try await StaffDecisions(request: request).reviewDocument(
                id, revision: revision, accept: decision == "accept", reason: reason, detail: detail.isEmpty ? nil : detail)
            return decision == "accept" ? "accepted" : "rejected"
        }
    }

    func addNote(_ request: Request) async throws -> Response {
        let (household, _, _, _) = try await HouseholdReviewController.load(request)
        let body = text(request, "body")
        var errors = FormErrors()
        if body.isEmpty {
            errors.add("body", "staff.error.note")
        } else if body.count > 4000 {
            errors.add("body", "staff.error.too_long", ["4000"])
        }
        guard errors.isEmpty else { return try await rerender(request, errors, ["body": body]) }
        try await StaffDecisions(request: request).addNote(householdID: try household.requireID(), body: body)
        return back(request, household: try household.requireID(), done: "note")
    }

    /// POST `/staff/households/{id}/coverage` (admins): `flag` (a coverage flag a program
    /// requires) and `reason` (required) add an exception; `flag` with `remove=yes` takes one
    /// away.
    func addCoverageException(_ request: Request) async throws -> Response {
        let (household, _, _, application) = try await HouseholdReviewController.load(request)
        let flag = text(request, "flag"), reason = text(request, "reason")
        if text(request, "remove") == "yes" {
            guard let addressID = application.$eligibilityAddress.id else { throw Abort(.conflict) }
            let messages = request.application.messages, language = request.language
            let note = messages.text("staff.coverage_removed_note", language, [messages.text("coverage.\(flag)", language)])
            try await StaffDecisions(request: request).removeCoverageException(
                householdID: try household.requireID(), addressID: addressID, flag: flag, note: note)
            return back(request, household: try household.requireID(), done: "coverage_removed")
        }
        var errors = FormErrors()
        if !request.application.messages.coverageFlags.contains(flag) { errors.add("flag", "staff.error.coverage_flag") }
        // Shown as `coverage_reason`: the deny form on the same page has its own `reason`.
        if reason.isEmpty {
            errors.add("coverage_reason", "staff.error.coverage_reason")
        } else if reason.count > 2000 {
            errors.add("coverage_reason", "staff.error.too_long", ["2000"])
        }
        guard let addressID = application.$eligibilityAddress.id else { throw Abort(.conflict) }
        guard errors.isEmpty else { return try await rerender(request, errors, ["flag": flag, "coverage_reason": reason]) }
        let messages = request.application.messages, language = request.language
        let note = messages.text("staff.coverage_note", language, [messages.text("coverage.\(flag)", language), reason])
        try await StaffDecisions(request: request).addCoverageException(
            householdID: try household.requireID(), addressID: addressID, flag: flag, reason: reason, note: note)
        return back(request, household: try household.requireID(), done: "coverage")
    }

    /// POST `/staff/households/{id}/coverage/refresh` (admins): asks the address service again
    /// for the home address's coverage (a GIS layer was corrected, a new building was added).
    /// Exceptions stay as they are; an address the service no longer finds keeps what it had.
    func refreshCoverage(_ request: Request) async throws -> Response {
        let (household, _, _, application) = try await HouseholdReviewController.load(request)
        guard let addressID = application.$eligibilityAddress.id,
            let address = try await Address.find(addressID, on: request.db(.primary))
        else { throw Abort(.conflict) }
        let input = AddressInput(street: address.street, unit: address.unit, city: address.city, state: address.state, zip: address.zip)
        let found: Set<String>?
        switch try await request.application.addressVerifier.verify(input) {
        case .exact(let verified), .suggestion(let verified): found = verified.coverage
        case .notFound: found = nil
        }
        try await StaffDecisions(request: request).refreshCoverage(householdID: try household.requireID(), addressID: addressID, to: found)
        return back(request, household: try household.requireID(), done: found == nil ? "coverage_not_found" : "coverage_refreshed")
    }

    /// POST `/staff/households/{id}/account` (admins): `archived` = `yes` closes the resident's
    /// account, `no` reopens it.
    func setArchived(_ request: Request) async throws -> Response {
        let (household, user, _, _) = try await HouseholdReviewController.load(request)
        let choice = text(request, "archived")
        guard ["yes", "no"].contains(choice) else { throw Abort(.badRequest) }
        try await StaffDecisions(request: request).setArchived(
            choice == "yes", user: try user.requireID(), householdID: try household.requireID())
        return back(request, household: try household.requireID(), done: choice == "yes" ? "archived" : "restored")
    }

    /// POST `/staff/households/{id}/renewal`: starts a renewal for the household, prefilled
    /// from its last verified application (for a resident who asked staff for help); the
    /// resident then finds it on their dashboard. Audited.
    func startRenewal(_ request: Request) async throws -> Response {
        let (household, _, _, _) = try await HouseholdReviewController.load(request)
        let householdID = try household.requireID()
        var errors = FormErrors()
        do {
            _ = try await RenewalStart.start(householdID: householdID, on: request.db(.primary)) { renewal, db in
                try await request.audit(.renewalStarted, .init(household: householdID, application: renewal.id), on: db)
            }
            request.application.recordEvent(.renewalStarted, household: householdID)
            return back(request, household: householdID, done: "renewal_started")
        } catch RenewalStart.Refusal.alreadyOpen {
            errors.add("decision", "staff.error.renewal_open")
        } catch RenewalStart.Refusal.nothingVerified {
            errors.add("decision", "staff.error.renewal_nothing_verified")
        }
        return try await rerender(request, errors, [:], status: .conflict)
    }

    /// The application named in the URL and the revision the form was rendered with. The
    /// household page is re-rendered for it, so `id` is switched to the household.
    private func target(_ request: Request) async throws -> (ApplicationRecord, Int) {
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let application = try await ApplicationRecord.find(id, on: request.db(.primary)), application.status != .draft
        else { throw Abort(.notFound) }
        request.parameters.set("id", to: application.$household.id.uuidString)
        return (application, (try? request.content.get(Int.self, at: "revision")) ?? -1)
    }

    private func decide(_ request: Request, _ application: ApplicationRecord, typed: [String: String], _ body: () async throws -> String)
        async throws -> Response
    {
        var errors = FormErrors()
        var stale = false
        do {
            let done = try await body()
            return back(request, household: application.$household.id, done: done)
        } catch StaffDecisions.Refusal.stale {
            // 409: the page was out of date; it is shown again as it is now.
            stale = true
            errors.add("decision", "staff.error.stale")
        } catch StaffDecisions.Refusal.notAllowed {
            errors.add("decision", "staff.error.not_allowed")
        } catch StaffDecisions.Refusal.incomplete {
            errors.add("decision", "staff.error.incomplete")
        }
        return try await rerender(request, errors, typed, status: stale ? .conflict : .unprocessableEntity)
    }

    private func rerender(
        _ request: Request, _ errors: FormErrors, _ typed: [String: String], status: HTTPResponseStatus = .unprocessableEntity
    )
        async throws -> Response
    {
        try await page.render(request, errors, typed: typed, status: status)
    }

    private func back(_ request: Request, household: UUID, done: String) -> Response {
        request.redirect(to: SiteURL.staffHousehold.path(household.uuidString.lowercased()) + "?done=\(done)", redirectType: .normal)
    }

    private func text(_ request: Request, _ field: String) -> String {
        ((try? request.content.get(String.self, at: field)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `/staff/documents/{id}`: the file itself for the inline viewer, to staff only, with the
/// detected type, `nosniff` and a sandboxing CSP; only our own pages may frame it (P6).
struct StaffDocumentController {
    func show(_ request: Request) async throws -> Response {
        guard let id = request.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let document = try await Document.query(on: request.db(.primary)).filter(\.$id == id).with(\.$application).first()
        else { throw Abort(.notFound) }
        try await request.audit(
            .documentViewed, .init(household: document.application.$household.id, application: document.$application.id, document: id))
        let response = try await DocumentsController.serve(document, on: request)
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "SAMEORIGIN")
        return response
    }
}
