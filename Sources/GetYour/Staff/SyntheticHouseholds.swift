import Fluent
import Foundation
import Vapor

/// Invented households for measuring the staff pages at scale (issue 9, `scripts/bench`):
/// a resident, a household and a submitted (or later) application each, written in batches.
/// They share one invented address and carry no documents on disk. Never in production.
enum SyntheticHouseholds {
    static let statuses: [ApplicationRecord.Status] = [.submitted, .submitted, .submitted, .needsInfo, .verified, .verified, .denied]

    static func create(_ count: Int, batch: Int = 500, on db: any Database) async throws {
        let address = try await AddressController.upsert(
            VerifiedAddress(
                street: "1 Synthetic Way", unit: "", city: "Fort Collins", state: "CO", zip: "80521", coverage: ["in_service_area"]),
            verified: true, on: db)
        let start = Date().addingTimeInterval(-Double(count) * 60)
        var made = 0
        while made < count {
            let size = min(batch, count - made)
            var users: [User] = [], households: [Household] = [], applications: [ApplicationRecord] = []
            for offset in 0..<size {
                let index = made + offset
                let user = User(
                    email: "synthetic.\(UUID().uuidString.prefix(12).lowercased())@example.invalid", passwordHash: "!synthetic",
                    firstName: "Test\(index)", lastName: "Household", phone: "+19705550100", language: .en, role: .resident)
                user.id = UUID()
                let household = Household(userID: user.id!)
                household.id = UUID()
                let application = ApplicationRecord()
                application.id = UUID()
                application.$household.id = household.id!
                application.kind = index % 10 == 0 ? .renewal : .initial
                application.status = statuses[index % statuses.count]
                application.furthestStep = .review
                application.reference = "GY-S" + String(format: "%07d", index) + String(UUID().uuidString.prefix(4))
                application.$eligibilityAddress.id = address.id
                application.$mailingAddress.id = address.id
                application.rentOwn = .rent
                application.duration = .oneToThree
                application.noPrograms = false
                application.programsAnswered = true
                application.submittedAt = start.addingTimeInterval(Double(index) * 60)
                application.revision = 0
                application.requestedItems = []
                if application.status == .verified || application.status == .denied { application.decidedAt = application.submittedAt }
                household.currentApplicationID = application.id
                users.append(user)
                households.append(household)
                applications.append(application)
            }
            let (u, h, a) = (users, households, applications)
            try await db.writeTransaction { db in
                try await u.create(on: db)
                try await h.create(on: db)
                try await a.create(on: db)
            }
            made += size
        }
    }
}

/// `getyour synthetic --households N`: fills a test or bench database with invented
/// households (refused in production).
struct SyntheticCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "households", help: "How many invented households to add (default 1000)") var households: Int?
    }

    var help: String { "Adds invented households for load tests and benchmarks (never in production)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        guard app.settings.environment != .production else {
            throw CommandError.invalidArgument("synthetic households are never added to production")
        }
        let count = max(1, min(signature.households ?? 1000, 1_000_000))
        try await SyntheticHouseholds.create(count, on: app.db(.primary))
        context.console.print("Added \(count) synthetic households.")
    }
}
