import Eligibility
import Fluent
import Vapor

/// `getyour seed`: loads `settings/programs.toml` (P12). It adds the programs the database
/// does not have yet and leaves every existing one as it is, because admins change programs
/// in `/staff/admin/programs`; running it twice changes nothing. `--reset` overwrites the
/// existing programs' texts and thresholds with the file's (audited). It never deletes a
/// program: households may reference it (deactivate it instead). `--demo` adds the demo
/// residents and staff of `DemoData` (not in production).
struct SeedCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "reset", help: "Also overwrite existing programs with the file's values, undoing admins' changes.")
        var reset: Bool

        @Flag(name: "demo", help: "Also create demo residents in every state and one staff account per role (refused in production).")
        var demo: Bool

        @Option(name: "email-domain", help: "Domain of the demo accounts' email addresses (default: example.org)")
        var emailDomain: String?
    }

    var help: String {
        "Adds the programs in settings/programs.toml that the database does not have yet; existing programs are kept as admins left them unless --reset is given. --demo also creates demo residents in every state and one staff account per role (not in production)."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        if signature.demo, app.settings.environment == .production { throw DemoData.Refusal.production }
        let summary = try await ReferenceDataLoader.load(app, reset: signature.reset)
        context.console.print(summary)
        guard signature.demo else { return }
        let domain = signature.emailDomain ?? "example.org"
        guard ContactRules.isEmail("demo@" + domain) else { throw CommandError.invalidArgument("--email-domain must be a domain name") }
        let rows = try await DemoData.seed(app, emailDomain: domain)
        context.console.print(Self.table(rows))
        if rows.contains(where: { $0.password == nil }) {
            context.console.print("Accounts marked \"(unchanged)\" existed already; their passwords were printed when they were made.")
        }
        if rows.contains(where: { $0.password != nil }) {
            context.console.print("Passwords are shown this once. Staff accounts set up an authenticator app at first sign-in.")
        }
    }

    /// The who-is-who table: email, role, state, password.
    static func table(_ rows: [DemoData.Row]) -> String {
        let header = ("email", "role", "password", "state")
        let lines = [header] + rows.map { ($0.email, $0.role, $0.password ?? "(unchanged)", $0.state) }
        let widths = (
            lines.map(\.0.count).max() ?? 0, lines.map(\.1.count).max() ?? 0, lines.map(\.2.count).max() ?? 0
        )
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
        return lines.map { "\(pad($0.0, widths.0))  \(pad($0.1, widths.1))  \(pad($0.2, widths.2))  \($0.3)" }
            .joined(separator: "\n")
    }
}

extension Application {
    /// Loads `settings/programs.toml` (what `getyour seed` does; `reset` as `--reset`).
    @discardableResult
    public func seedReferenceData(reset: Bool = false) async throws -> String { try await ReferenceDataLoader.load(self, reset: reset) }
}

enum ReferenceDataLoader {
    /// Adds every program missing from the database; with `reset`, also overwrites the
    /// existing ones. Returns a one-line summary.
    static func load(_ app: Application, reset: Bool = false) async throws -> String {
        let data = try ReferenceData.load(from: app.settings.paths.settings.appendingPathComponent("programs.toml"))
        let (created, updated, kept) = try await app.db(.primary).writeTransaction { db -> (Int, Int, Int) in
            var created = 0, updated = 0, kept = 0
            for entry in data.eligibility_programs {
                let program = try await EligibilityProgram.query(on: db).filter(\.$slug == entry.slug).first() ?? EligibilityProgram()
                let isNew = program.id == nil
                if !isNew, !reset {
                    kept += 1
                    continue
                }
                let before = isNew ? "" : Self.signature(program)
                program.slug = entry.slug
                program.amiLevel = IncomeLevel(entry.ami_level)!.hundredths
                program.active = entry.active
                program.sort = entry.sort
                program.nameEN = entry.name_en
                program.nameES = entry.name_es
                program.documentEN = entry.document_en
                program.documentES = entry.document_es
                if isNew { created += 1 } else if Self.signature(program) != before { updated += 1 }
                try await program.save(on: db)
            }
            for entry in data.benefit_programs {
                let program = try await BenefitProgram.query(on: db).filter(\.$slug == entry.slug).first() ?? BenefitProgram()
                let isNew = program.id == nil
                if !isNew, !reset {
                    kept += 1
                    continue
                }
                let before = isNew ? "" : Self.signature(program)
                program.slug = entry.slug
                program.ceiling = IncomeLevel(entry.ceiling)!.hundredths
                program.requires = entry.requires.sorted()
                program.renewalYears = entry.renewal_years
                program.autoApply = entry.auto_apply
                program.active = entry.active
                program.sort = entry.sort
                program.learnMoreURL = entry.learn_more_url
                program.externalFormURL = entry.external_form_url
                program.nameEN = entry.name_en
                program.nameES = entry.name_es
                program.categoryEN = entry.category_en
                program.categoryES = entry.category_es
                program.descriptionEN = entry.description_en
                program.descriptionES = entry.description_es
                program.reviewPeriodEN = entry.review_period_en
                program.reviewPeriodES = entry.review_period_es
                if isNew { created += 1 } else if Self.signature(program) != before { updated += 1 }
                try await program.save(on: db)
            }
            if reset, updated > 0 {
                try await AuditEvent(
                    actorID: "operator", actorRole: "operator", action: .referenceDataReset, subject: .init(), requestID: "command-line",
                    at: app.clock.now()
                ).create(on: db)
            }
            return (created, updated, kept)
        }
        if reset { return "Reference data loaded: \(created) created, \(updated) reset from the file." }
        return "Reference data loaded: \(created) created, \(kept) already present and kept as they are (--reset overwrites them)."
    }

    /// Every stored value of a fetched row, to tell whether the file changed it.
    static func signature(_ program: EligibilityProgram) -> String {
        "\([program.slug, program.nameEN, program.nameES ?? "", program.documentEN, program.documentES ?? ""])\(program.amiLevel)\(program.active)\(program.sort)"
    }

    static func signature(_ program: BenefitProgram) -> String {
        let texts = [
            program.slug, program.nameEN, program.nameES, program.categoryEN, program.categoryES, program.descriptionEN,
            program.descriptionES, program.reviewPeriodEN, program.reviewPeriodES, program.learnMoreURL, program.externalFormURL,
        ]
        return "\(texts)\(program.ceiling)\(program.requires)\(program.renewalYears)\(program.autoApply)\(program.active)\(program.sort)"
    }
}
