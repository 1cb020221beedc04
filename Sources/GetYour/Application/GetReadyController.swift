import Eligibility
import Vapor

/// `/apply/get-ready` (P3 step 2): the documents to have at hand and photo tips.
struct GetReadyController {
    struct Page: StepPage {
        let header: StepHeader
        let documents: [String]
        var layout: LayoutContext?
    }

    func show(_ request: Request) async throws -> Response {
        if let redirect = try await request.flow.redirect(ifUnreachable: .getReady, try await request.flow.draft()) { return redirect }
        let programs = try await EligibilityProgram.active(on: request.db(.primary))
        let page = Page(
            header: StepHeader(request, step: .getReady, titleKey: "get_ready.title"),
            documents: programs.map { "\($0.name(request.language)): \($0.document(request.language))" })
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
