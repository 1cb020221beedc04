import Eligibility
import Fluent
import Vapor

/// The HTTP side of the step graph: finds the resident's application, keeps them on steps
/// they may see, and moves them on after a save (P3). Every query is scoped to the
/// signed-in resident's household.
struct ApplicationFlow {
    let request: Request

    var db: any Database { request.db(.primary) }

    /// The signed-in resident's household, looked up once per request.
    func household() async throws -> Household {
        if let cached = request.storage[HouseholdKey.self] { return cached }
        let household = try await Household.forUser(try request.currentUser.requireID(), on: db)
        request.storage[HouseholdKey.self] = household
        return household
    }

    /// The household's draft, if it has one.
    func draft() async throws -> ApplicationRecord? {
        let household = try await household()
        return try await ApplicationRecord.query(on: db)
            .filter(\.$household.$id == household.requireID()).filter(\.$status == .draft).first()
    }

    /// The draft, created (with the applicant as first member) at the first step that saves.
    func draftCreatingIfNeeded() async throws -> ApplicationRecord {
        if let existing = try await draft() { return existing }
        let household = try await household()
        let user = try request.currentUser
        let application = ApplicationRecord()
        application.$household.id = try household.requireID()
        application.kind =
            try await ApplicationRecord.query(on: db)
            .filter(\.$household.$id == household.requireID()).count() == 0 ? .initial : .renewal
        application.status = .draft
        application.furthestStep = .address
        application.noPrograms = false
        application.programsAnswered = false
        application.revision = 0
        application.requestedItems = []
        do {
            try await db.writeTransaction { db in
                try await application.create(on: db)
                let applicant = HouseholdMember()
                applicant.$application.id = try application.requireID()
                applicant.firstName = user.firstName
                applicant.lastName = user.lastName
                applicant.birthdate = ""
                applicant.isApplicant = true
                try await applicant.create(on: db)
            }
        } catch {
            // A second tab created the draft first: use that one (one draft per household).
            if (error as? any DatabaseError)?.isConstraintFailure == true, let existing = try await draft() { return existing }
            throw error
        }
        return application
    }

    /// The household's newest submitted application, for the read-only pages.
    func latestSubmitted() async throws -> ApplicationRecord? {
        let household = try await household()
        return try await ApplicationRecord.query(on: db)
            .filter(\.$household.$id == household.requireID()).filter(\.$status != .draft)
            .sort(\.$submittedAt, .descending).first()
    }

    /// nil when `step` may be shown; otherwise where to send the person instead.
    func redirect(ifUnreachable step: Step, _ application: ApplicationRecord?) async throws -> Response? {
        guard let application else {
            // Submitted applications are read-only for the resident.
            if try await latestSubmitted() != nil { return request.redirect(to: SiteURL.submitted.path(), redirectType: .normal) }
            if StepGraph.start.isReachable(step) { return nil }
            return request.redirect(to: Self.url(for: StepGraph.start.firstUnfinished), redirectType: .normal)
        }
        guard application.graph.isReachable(step) else {
            return request.redirect(to: Self.url(for: application.graph.firstUnfinished), redirectType: .normal)
        }
        return nil
    }

    /// Records that `step` was saved and answers with the 303 to the next page: the review
    /// when the person came from it ("Change"), else the next step.
    func advance(_ application: ApplicationRecord, past step: Step, returnToReview: Bool, on db: any Database) async throws -> Response {
        application.furthestStep = application.graph.completing(step).furthest
        try await application.save(on: db)
        if application.kind == .initial {
            request.application.recordEvent(.stepCompleted, household: application.$household.id, detail: step.rawValue)
        }
        let target: Step
        if returnToReview && application.graph.isReachable(.review) {
            target = .review
        } else if application.kind == .renewal {
            // A renewal goes through the sections the resident said changed (issue 12).
            target = RenewalPath(changed: Set((application.changedSections ?? []).compactMap(RenewalSection.init(rawValue:))))
                .next(after: step)
        } else {
            target = step.next ?? .review
        }
        return request.redirect(to: Self.url(for: target), redirectType: .normal)
    }

    static func url(for step: Step) -> String {
        switch step {
        case .getReady: SiteURL.getReady.path()
        case .address: SiteURL.address.path()
        case .household: SiteURL.household.path()
        case .members: SiteURL.members.path()
        case .programs: SiteURL.programsStep.path()
        case .documents: SiteURL.documents.path()
        case .review: SiteURL.review.path()
        }
    }
}

private enum HouseholdKey: StorageKey { typealias Value = Household }

/// What every step page shows above its form: progress, the back link, the error summary.
struct StepHeader: Encodable {
    let layout: LayoutContext
    let summary: ErrorSummary
    let stepNumber: Int
    let stepCount: Int
    let backURL: String?
    /// Carried in a hidden field so that saving returns to the review page.
    let returnToReview: Bool

    init(_ request: Request, step: Step, titleKey: String, errors: FormErrors = FormErrors(), returnToReview: Bool = false) {
        layout = request.layout(titleKey: titleKey, hasErrors: !errors.isEmpty)
        summary = ErrorSummary(request, errors)
        stepNumber = step.number
        stepCount = Step.count
        backURL = returnToReview ? SiteURL.review.path() : step.previous.map(ApplicationFlow.url(for:))
        self.returnToReview = returnToReview
    }
}

extension Request {
    var flow: ApplicationFlow { ApplicationFlow(request: self) }

    /// `?return=review` on a GET, or `return_to=review` in a form.
    var returnsToReview: Bool {
        (try? query.get(String.self, at: "return")) == "review" || (try? content.get(String.self, at: "return_to")) == "review"
    }
}

/// A step page: the base layout reads `layout` at the top level, so it is lifted from the
/// header when the page is rendered.
protocol StepPage: Encodable {
    var header: StepHeader { get }
    var layout: LayoutContext? { get set }
}

extension Request {
    func renderStep<Page: StepPage>(_ template: String, _ page: Page) async throws -> View {
        var page = page
        page.layout = page.header.layout
        return try await view.render(template, page)
    }
}
