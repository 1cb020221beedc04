import Fluent
import Foundation
import Synchronization
import Vapor

/// The active benefit and eligibility programs, which nearly every page reads (the landing
/// page, `/programs`, the dashboard, the programs step) and admins rarely change. Read once
/// and kept for `lifetime` seconds. Any create, update or delete of a program through Fluent
/// on this server (the admin's program pages, `seed`) clears it at once, through
/// `ProgramCatalogInvalidation`; another server catches up within `lifetime`.
///
/// The cached models are shared by concurrent requests: read them, never change or save them
/// (edits load their own copy).
final class ProgramCatalog: Sendable {
    struct Snapshot: Sendable {
        let benefits: [BenefitProgram]
        let eligibility: [EligibilityProgram]
        let at: Date
        /// Counts loads, so pages cached from a snapshot can tell it was replaced.
        let generation: Int
    }

    static var lifetime: TimeInterval { 10 }
    private let state = Mutex<(snapshot: Snapshot?, generation: Int)>((nil, 0))
    private let clock: @Sendable () -> Date

    init(clock: @escaping @Sendable () -> Date) {
        self.clock = clock
    }

    /// The current programs, loaded with `db` when there are none or they are too old.
    func snapshot(on db: @autoclosure () -> any Database) async throws -> Snapshot {
        let now = clock()
        if let cached = state.withLock({ $0.snapshot }), now.timeIntervalSince(cached.at) < Self.lifetime, now >= cached.at {
            return cached
        }
        let generation = state.withLock { $0.generation }
        let db = db()
        let benefits = try await BenefitProgram.query(on: db).filter(\.$active == true).sort(\.$sort).all()
        let eligibility = try await EligibilityProgram.query(on: db).filter(\.$active == true).sort(\.$sort).all()
        return state.withLock { state in
            let fresh = Snapshot(benefits: benefits, eligibility: eligibility, at: now, generation: state.generation + 1)
            // A change during the load cleared the cache: serve what was read, keep nothing.
            guard state.generation == generation else { return fresh }
            state = (fresh, fresh.generation)
            return fresh
        }
    }

    /// Drops the programs held; the next page reads them again.
    func invalidate() {
        state.withLock { $0 = (nil, $0.generation + 1) }
    }

    /// Bumped by every load and every invalidation.
    var generation: Int { state.withLock { $0.generation } }
}

/// Clears the catalog after any write to a program (`M`: benefit or eligibility programs)
/// through Fluent. The admin's save clears it once more after its transaction commits.
struct ProgramCatalogInvalidation<M: Model>: AsyncModelMiddleware {
    typealias Model = M
    let catalog: ProgramCatalog

    func create(model: M, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        try await next.create(model, on: db)
        catalog.invalidate()
    }

    func update(model: M, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        try await next.update(model, on: db)
        catalog.invalidate()
    }

    func delete(model: M, force: Bool, on db: any Database, next: any AnyAsyncModelResponder) async throws {
        try await next.delete(model, force: force, on: db)
        catalog.invalidate()
    }
}

private enum ProgramCatalogKey: StorageKey { typealias Value = ProgramCatalog }

extension Application {
    /// The shared program catalog (see `ProgramCatalog`).
    var programCatalog: ProgramCatalog {
        guard let catalog = storage[ProgramCatalogKey.self] else { fatalError("configure(_:) has not run") }
        return catalog
    }

    func configureProgramCatalog() {
        let clock = self.clock
        let catalog = ProgramCatalog(clock: { clock.now() })
        storage[ProgramCatalogKey.self] = catalog
        databases.middleware.use(ProgramCatalogInvalidation<BenefitProgram>(catalog: catalog), on: .primary)
        databases.middleware.use(ProgramCatalogInvalidation<EligibilityProgram>(catalog: catalog), on: .primary)
    }
}

extension Request {
    /// The active programs (cached; see `ProgramCatalog`).
    func programs() async throws -> ProgramCatalog.Snapshot {
        try await application.programCatalog.snapshot(on: db(.primary))
    }
}
