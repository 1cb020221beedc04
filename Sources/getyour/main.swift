import Foundation
import GetYour
import Logging
import Vapor

/// Entry point: load settings, bootstrap logging, build the app, run the command (style 1).
let arguments = CommandLine.arguments
let root = URL(
    fileURLWithPath: ProcessInfo.processInfo.environment["GETYOUR_ROOT"]
        ?? FileManager.default.currentDirectoryPath, isDirectory: true)

let settings: Settings
do {
    settings = try Settings.load(root: root)
} catch {
    FileHandle.standardError.write(Data("getyour: \(error)\n".utf8))
    exit(78)  // EX_CONFIG
}

let level = Logger.Level(rawValue: settings.logLevel) ?? .info
// JSON lines outside `local` (app.log_format), for a log shipper; plain text on a laptop.
LoggingSystem.bootstrap { label in
    switch settings.logFormat {
    case .json:
        var handler = JSONLogHandler(label: label)
        handler.logLevel = level
        return handler
    case .text:
        var handler = StreamLogHandler.standardOutput(label: label)
        handler.logLevel = level
        return handler
    }
}

let app = try await Application.make(Environment(name: settings.environment.rawValue, arguments: arguments))
do {
    try await configure(app, settings: settings)
    app.registerCommands()
    // `local` is meant to start from nothing: `serve` brings both databases up to date and
    // loads the reference data itself.
    let first = arguments.dropFirst().first
    let isServe = first == nil || first == "serve" || (first?.hasPrefix("-") == true && !["--help", "-h"].contains(first!))
    if settings.environment == .local, isServe {
        try await app.migrate(.primary)
        try await app.migrate(.analytics)
        let seeded = try await app.seedReferenceData()
        app.logger.notice("\(seeded)")
    }
    try await app.execute()
} catch {
    app.logger.report(error: error)
    try? await app.asyncShutdown()
    exit(1)
}
try await app.asyncShutdown()
