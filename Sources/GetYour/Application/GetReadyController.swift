import Eligibility
import Vapor

/// `/apply/get-ready` (P3 step 2): the documents to have at hand, photo tips and the privacy
/// statement. Public, as in P3's order (it comes before creating an account): a signed-out
/// visitor gets the same page with "Create your account"; a signed-in resident gets it as the
/// first step of their application.
struct GetReadyController {
    struct Page: StepPage {
        let header: StepHeader
        let documents: [String]
        var layout: LayoutContext?
    }

    struct PublicPage: Encodable {
        let layout: LayoutContext
        let documents: [String]
        let signedOut = true
    }

    /// Signed out: the public page. Signed in: the resident's step, behind the same checks as
    /// every other step (a resident's account, an application that may still be edited).
    func route(_ request: Request) async throws -> Response {
        guard request.browserSession.userID != nil else {
            let page = PublicPage(layout: request.layout(titleKey: "get_ready.title"), documents: try await documents(request))
            return try await request.view.render("application/get-ready", page).encodeResponse(for: request)
        }
        let step = RequireSignIn.residents.makeResponder(
            chainingTo: ApplicationAccess.steps.makeResponder(chainingTo: AsyncBasicResponder(closure: show)))
        return try await step.respond(to: request).get()
    }

    private func documents(_ request: Request) async throws -> [String] {
        try await request.programs().eligibility.map {
            "\($0.name(request.language)): \($0.document(request.language))"
        }
    }

    func show(_ request: Request) async throws -> Response {
        if let redirect = try await request.flow.redirect(ifUnreachable: .getReady, try await request.flow.draft()) { return redirect }
        let page = Page(header: StepHeader(request, step: .getReady, titleKey: "get_ready.title"), documents: try await documents(request))
        return try await request.renderStep("application/get-ready", page).encodeResponse(for: request)
    }
}

/// `/apply`: resumes at the first unfinished step, or shows the submitted application.
struct ResumeController {
    func show(_ request: Request) async throws -> Response {
        if let draft = try await request.flow.draft() {
            // A renewal resumes at "what has changed" until it is answered, then at the review.
            if draft.kind == .renewal {
                let target = draft.changedSections == nil ? SiteURL.renewalChanges.path() : ApplicationFlow.url(for: .review)
                return request.redirect(to: target, redirectType: .normal)
            }
            return request.redirect(to: ApplicationFlow.url(for: draft.graph.firstUnfinished), redirectType: .normal)
        }
        if try await request.flow.statuses().contains(.needsInfo) {
            return request.redirect(to: SiteURL.respond.path(), redirectType: .normal)
        }
        if try await request.flow.latestSubmitted() != nil {
            return request.redirect(to: SiteURL.dashboard.path(), redirectType: .normal)
        }
        return request.redirect(to: SiteURL.getReady.path(), redirectType: .normal)
    }
}
