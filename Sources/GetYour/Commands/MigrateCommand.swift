import Fluent
import Vapor

/// `getyour migrate [--database primary|analytics] [--revert]`: brings one or both databases
/// up to date (P12). Each database has its own migrations and its own record of them.
struct MigrateCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "database", short: "d", help: "primary or analytics (both when omitted)")
        var database: String?

        @Flag(name: "revert", help: "Undo every migration of the chosen database(s) instead")
        var revert: Bool
    }

    var help: String {
        "Migrates the primary and analytics databases (or one of them with --database)."
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let targets: [DatabaseID]
        switch signature.database {
        case nil: targets = [.primary, .analytics]
        case "primary": targets = [.primary]
        case "analytics": targets = [.analytics]
        case let other?:
            throw CommandError.invalidArgument("--database must be primary or analytics, not \(other)")
        }
        for id in targets {
            if signature.revert {
                try await context.application.revertMigrations(id)
                context.console.print("Reverted every migration of the \(id.string) database.")
            } else {
                try await context.application.migrate(id)
                context.console.print("The \(id.string) database is up to date.")
            }
        }
    }
}

enum CommandError: Error, CustomStringConvertible {
    case invalidArgument(String)

    var description: String {
        switch self {
        case .invalidArgument(let message): message
        }
    }
}

extension Application {
    /// Registers the operator commands (P12) next to Vapor's `serve` and `routes`.
    public func registerCommands() {
        asyncCommands.use(MigrateCommand(), as: "migrate")
        asyncCommands.use(CreateStaffCommand(), as: "create-staff")
        asyncCommands.use(SeedCommand(), as: "seed")
        asyncCommands.use(JobsCommand(), as: "jobs")
        asyncCommands.use(SyntheticCommand(), as: "synthetic")
        asyncCommands.use(EraseUserCommand(), as: "erase-user")
        asyncCommands.use(ExportUserCommand(), as: "export-user")
        asyncCommands.use(PurgeDocumentsCommand(), as: "purge-documents")
        asyncCommands.use(APITokenCommand(), as: "api-token")
    }
}
