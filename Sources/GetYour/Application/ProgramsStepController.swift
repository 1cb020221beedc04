import Eligibility
import Fluent
import Vapor

/// `/apply/programs` (P3 step 7): which outside programs the household is enrolled in — at
/// least one, or "none of these". Changing the selection keeps the uploads for programs
/// still selected and tells the person which uploads no longer apply.
struct ProgramsStepController {
    struct Page: StepPage {
        let header: StepHeader
        let programs: FormField
        let none: FormField
        var layout: LayoutContext?
    }

    static let noLongerNeededKey = "documents.no_longer_needed"

    func show(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .programs, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        let selected = try await Self.selected(draft, on: request.db(.primary)).map(\.slug)
        return try await render(request, selected: Set(selected), none: draft.noPrograms, FormErrors(), status: .ok)
    }

    func update(_ request: Request) async throws -> Response {
        let draft = try await request.flow.draft()
        if let redirect = try await request.flow.redirect(ifUnreachable: .programs, draft) { return redirect }
        guard let draft else { throw Abort(.notFound) }
        let db = request.db(.primary)
        let chosen = Set((try? request.content.get([String].self, at: "programs")) ?? [])
        let none = (try? request.content.get(String.self, at: "none")) == "yes"
        let available = try await request.programs().eligibility
        var errors = FormErrors()
        if chosen.isEmpty && !none { errors.add("programs", "programs.error.choose") }
        if !chosen.isEmpty && none { errors.add("programs", "programs.error.both") }
        if !chosen.isSubset(of: Set(available.map(\.slug))) { errors.add("programs", "programs.error.unknown") }
        guard errors.isEmpty else { return try await render(request, selected: chosen, none: none, errors, status: .unprocessableEntity) }

        let previous = try await Self.selected(draft, on: db)
        let dropped = previous.filter { !chosen.contains($0.slug) }
        let response = try await db.writeTransaction { db -> Response in
            try await ApplicationEligibilityProgram.query(on: db).filter(\.$application.$id == draft.requireID()).delete()
            for program in available where chosen.contains(program.slug) {
                try await ApplicationEligibilityProgram(applicationID: try draft.requireID(), programID: try program.requireID()).create(
                    on: db)
            }
            draft.noPrograms = none
            draft.programsAnswered = true
            return try await request.flow.advance(draft, past: .programs, returnToReview: request.returnsToReview, on: db)
        }
        // Uploads for programs no longer selected are not deleted silently: the documents
        // page lists them with a remove button.
        let orphaned = try await Document.query(on: db).filter(\.$application.$id == draft.requireID())
            .filter(\.$program.$id ~~ dropped.compactMap(\.id)).count()
        if orphaned > 0 {
            request.browserSession[Self.noLongerNeededKey] = dropped.map { $0.name(request.language) }.joined(separator: ", ")
        }
        return response
    }

    /// The eligibility programs the application names, in their display order: one statement.
    static func selected(_ application: ApplicationRecord, on db: any Database) async throws -> [EligibilityProgram] {
        try await EligibilityProgram.query(on: db)
            .join(ApplicationEligibilityProgram.self, on: \EligibilityProgram.$id == \ApplicationEligibilityProgram.$program.$id)
            .filter(ApplicationEligibilityProgram.self, \.$application.$id == application.requireID())
            .sort(\.$sort).sort(\.$slug).all()
    }

    private func render(_ request: Request, selected: Set<String>, none: Bool, _ errors: FormErrors, status: HTTPResponseStatus)
        async throws -> Response
    {
        let programs = try await request.programs().eligibility
        let m = errors.resolved(request)
        var field = FormField(name: "programs", labelKey: "programs.question", hintKey: "programs.hint", error: m["programs"])
        field.options = programs.map {
            FormField.Option(value: $0.slug, label: $0.name(request.language), checked: selected.contains($0.slug))
        }
        let page = Page(
            header: StepHeader(
                request, step: .programs, titleKey: "programs.title", errors: errors, returnToReview: request.returnsToReview),
            programs: field,
            none: FormField.choice(
                "none", label: "programs.none_legend", hint: "programs.none_hint", options: [("yes", "programs.none")],
                selected: none ? ["yes"] : [], errors: [:]))
        return try await request.renderStep("application/programs", page).response(status, for: request)
    }
}
