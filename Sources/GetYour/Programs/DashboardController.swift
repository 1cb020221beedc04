import Eligibility
import Fluent
import Vapor

/// `/dashboard` (P3 step 11): the application's status and every benefit program, grouped
/// as Enrolled, Applied, Eligible (with an Apply button that POSTs) and Not eligible (with
/// the reason in plain words); the first-visit explanation; the feedback form.
struct DashboardController {
    struct ProgramCard: Encodable {
        let slug: String
        let name: String
        let category: String
        let description: String
        let learnMoreURL: String?
        let reviewPeriod: String?
        let externalFormURL: String?
        let expires: String?
        let reason: String?
        let applyURL: String
        /// Why the program's department declined the household, as they wrote it.
        let declineReason: String?
        /// Why an enrollment ended (no renewal in time, or a renewal that no longer qualified).
        let endReason: String?
    }

    struct Page: Encodable {
        let layout: LayoutContext
        let summary: ErrorSummary
        let notice: String?
        let firstVisit: Bool
        let statusKey: String
        let statusMessage: String?
        let reference: String?
        let hasDraft: Bool
        let submitted: Bool
        let verified: Bool
        /// Staff asked for more: what, and the link to answer (issue 9).
        let needsInfo: Bool
        let requestedItems: [String]
        let enrolled: [ProgramCard]
        /// Enrollments whose renewal is open (P11): shown under "Renewal due".
        let renewalDue: [ProgramCard]
        let hasRenewalDue: Bool
        let ended: [ProgramCard]
        let hasEnded: Bool
        /// The renewal call to action: any time after a verification with nothing else under
        /// way; prominent once renewal opens.
        let mayRenew: Bool
        let renewalOpen: Bool
        let firstExpiry: String?
        let renewing: Bool
        let declined: [ProgramCard]
        let hasDeclined: Bool
        let applied: [ProgramCard]
        let eligible: [ProgramCard]
        let notEligible: [ProgramCard]
        let hasEnrolled: Bool
        let hasApplied: Bool
        let hasEligible: Bool
        let hasNotEligible: Bool
        let rating: FormField
        let comment: FormField
    }

    func show(_ request: Request) async throws -> Response {
        let notice = (try? request.query.get(String.self, at: "notice")).flatMap {
            ["applied", "feedback", "responded"].contains($0) ? "dashboard.notice.\($0)" : nil
        }
        return try await render(request, FormErrors(), notice: notice, feedback: (nil, nil), status: .ok)
    }

    /// Apply to one program: eligibility is checked again here, whatever the page showed.
    func apply(_ request: Request) async throws -> Response {
        let db = request.db(.primary)
        let household = try await request.flow.household()
        guard let slug = request.parameters.get("slug"),
            let program = try await BenefitProgram.query(on: db).filter(\.$slug == slug).first()
        else { throw Abort(.notFound) }
        var errors = FormErrors()
        guard let application = try await Self.eligibilityBasis(request) else {
            errors.add("programs", "dashboard.error.finish_first")
            return try await render(request, errors, feedback: (nil, nil), status: .unprocessableEntity)
        }
        if let reason = try await HouseholdEligibility.load(for: application, on: db).check(program) {
            errors.add("programs", "dashboard.error.not_eligible", [program.name(request.language), Self.reasonText(reason, request)])
            return try await render(request, errors, feedback: (nil, nil), status: .unprocessableEntity)
        }
        try await Enrollment.apply(
            householdID: try household.requireID(), programID: try program.requireID(), applicationID: application.id, on: db)
        return request.redirect(to: SiteURL.dashboard.path() + "?notice=applied", redirectType: .normal)
    }

    /// The application eligibility rests on: the last verified one, else the latest submitted.
    static func eligibilityBasis(_ request: Request) async throws -> ApplicationRecord? {
        let household = try await request.flow.household()
        let applications = try await ApplicationRecord.query(on: request.db(.primary))
            .filter(\.$household.$id == household.requireID()).sort(\.$startedAt).all()
        if let basis = ApplicationRecord.eligibilityBasis(of: applications) { return basis }
        return try await request.flow.latestSubmitted()
    }

    /// Anonymous feedback: both fields optional; bad input is explained, never a 500.
    func feedback(_ request: Request) async throws -> Response {
        let rating = (try? request.content.get(String.self, at: "rating"))?.trimmingCharacters(in: .whitespaces) ?? ""
        let comment = (try? request.content.get(String.self, at: "comment"))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var errors = FormErrors()
        let stars = rating.isEmpty ? nil : Int(rating)
        if !rating.isEmpty, stars.map({ !(1...5).contains($0) }) ?? true { errors.add("rating", "feedback.error.rating") }
        if comment.count > 500 { errors.add("comment", "feedback.error.comment", ["500"]) }
        if rating.isEmpty && comment.isEmpty { errors.add("rating", "feedback.error.empty") }
        guard errors.isEmpty else {
            return try await render(request, errors, feedback: (rating, comment), status: .unprocessableEntity)
        }
        let entry = Feedback()
        entry.rating = stars
        entry.comment = comment.isEmpty ? nil : comment
        try await entry.create(on: request.db(.primary))
        return request.redirect(to: SiteURL.dashboard.path() + "?notice=feedback", redirectType: .normal)
    }

    static func reasonText(_ reason: Ineligibility, _ request: Request) -> String {
        let key: String
        switch reason {
        case .programInactive: key = "dashboard.reason.inactive"
        case .noIncomeLevel: key = "dashboard.reason.no_level"
        case .incomeAboveCeiling: key = "dashboard.reason.income"
        case .outsideCoverage: key = "dashboard.reason.coverage"
        }
        return request.application.messages.text(key, request.language)
    }

    private func render(
        _ request: Request, _ errors: FormErrors, notice: String? = nil, feedback: (String?, String?), status: HTTPResponseStatus
    ) async throws -> Response {
        let db = request.db(.primary), language = request.language
        let household = try await request.flow.household()
        // One read of the household's applications: the draft, the newest submitted one (the
        // status shown) and the one eligibility rests on all come from it.
        let applications = try await ApplicationRecord.query(on: db).filter(\.$household.$id == household.requireID())
            .sort(\.$startedAt).all()
        let draft = applications.first { $0.status == .draft }
        let application = applications.filter { $0.status != .draft }
            .max { ($0.submittedAt ?? .distantPast) < ($1.submittedAt ?? .distantPast) }
        let firstVisit = application != nil && household.dashboardSeenAt == nil
        if firstVisit {
            household.dashboardSeenAt = Date()
            try await household.save(on: db)
        }
        // Eligibility rests on the last verified application (a renewal under review changes
        // nothing until staff verify it); before any verification, on the submitted one.
        let verifiedBasis = ApplicationRecord.eligibilityBasis(of: applications)
        let basis = verifiedBasis ?? application
        let enrollments = try await Enrollment.query(on: db).filter(\.$household.$id == household.requireID()).all()
        var eligibility: HouseholdEligibility?
        if let basis { eligibility = try await HouseholdEligibility.load(for: basis, on: db) }
        let dateFormatter = request.longDateFormatter
        let app = request.application, now = app.clock.now()
        let calendar = RenewalDates(timeZone: Request.cityTimeZone).calendar
        let firstExpiry = enrollments.filter { $0.status == .enrolled }.compactMap(\.expiresAt).min()
        let renewalOpen = app.settings.renewal.isOpen(firstExpiry: firstExpiry, now: now, calendar: calendar)
        var enrolled: [ProgramCard] = [], renewalDue: [ProgramCard] = [], ended: [ProgramCard] = [], applied: [ProgramCard] = [],
            declined: [ProgramCard] = [], eligible: [ProgramCard] = [], notEligible: [ProgramCard] = []
        for program in try await request.programs().benefits {
            let enrollment = enrollments.first { $0.$program.id == program.id }
            let reason = eligibility.flatMap { $0.check(program) }
            let card = ProgramCard(
                slug: program.slug, name: program.name(language), category: program.category(language),
                description: program.description(language), learnMoreURL: program.learnMoreURL,
                reviewPeriod: program.reviewPeriod(language), externalFormURL: program.externalFormURL,
                expires: enrollment?.expiresAt.map(dateFormatter.string(from:)),
                reason: reason.map { Self.reasonText($0, request) }, applyURL: SiteURL.programApply.path(program.slug),
                declineReason: enrollment?.declineReason,
                endReason: enrollment?.endReason.map { app.messages.text("dashboard.ended_reason.\($0)", language) })
            switch enrollment?.status {
            case .enrolled?:
                if renewalOpen, enrollment?.expiresAt != nil { renewalDue.append(card) } else { enrolled.append(card) }
            case .applied?: applied.append(card)
            case .declined?: declined.append(card)
            case .expired? where enrollment?.endReason != nil: ended.append(card)
            default:
                guard eligibility != nil else { continue }
                if reason == nil { eligible.append(card) } else { notEligible.append(card) }
            }
        }
        let mayRenew = verifiedBasis != nil && ApplicationLifecycle.mayStartApplication(existing: applications.map(\.status))
        var requested: [String] = []
        if let application, application.status == .needsInfo {
            let checklist = try await DocumentChecklist.load(for: application, on: db)
            requested = checklist.items.filter { application.requestedItems.contains($0.key) }
                .map { $0.title(request.application.messages, language) }
        }
        let m = errors.resolved(request)
        let statusKey: String
        if let application {
            statusKey = "dashboard.status.\(application.status.rawValue)"
        } else {
            statusKey = draft == nil ? "dashboard.status.not_started" : "dashboard.status.draft"
        }
        let page = Page(
            layout: request.layout(titleKey: "dashboard.title", hasErrors: !errors.isEmpty),
            summary: ErrorSummary(request, errors), notice: notice, firstVisit: firstVisit,
            statusKey: statusKey, statusMessage: application?.statusMessage, reference: application?.reference,
            hasDraft: draft != nil, submitted: application != nil, verified: application?.status == .verified,
            needsInfo: application?.status == .needsInfo, requestedItems: requested,
            enrolled: enrolled, renewalDue: renewalDue, hasRenewalDue: !renewalDue.isEmpty, ended: ended, hasEnded: !ended.isEmpty,
            mayRenew: mayRenew, renewalOpen: renewalOpen, firstExpiry: firstExpiry.map(dateFormatter.string(from:)),
            renewing: draft?.kind == .renewal, declined: declined, hasDeclined: !declined.isEmpty, applied: applied, eligible: eligible,
            notEligible: notEligible,
            hasEnrolled: !enrolled.isEmpty, hasApplied: !applied.isEmpty, hasEligible: !eligible.isEmpty,
            hasNotEligible: !notEligible.isEmpty,
            rating: .choice(
                "rating", label: "feedback.rating", hint: "feedback.rating_hint",
                options: (1...5).map { ("\($0)", "feedback.stars_\($0)") }, selected: [feedback.0 ?? ""], errors: m),
            comment: .input(
                "comment", label: "feedback.comment", hint: "feedback.comment_hint", required: false, value: feedback.1, errors: m))
        return try await request.view.render("programs/dashboard", page).response(status, for: request)
    }
}
