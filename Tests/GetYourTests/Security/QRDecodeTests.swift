import Foundation
import Testing

@testable import GetYour

/// Our QR encoder read back by an independent decoder (zbar), through the SVG a staff member's
/// phone would scan. `scripts/test` installs `zbar-tools` and `librsvg2-bin`; without them
/// (a bare developer machine) the test says so and checks nothing.
@Suite("QR codes decode with an independent reader")
struct QRDecodeTests {
    static let tools = ["/usr/bin/rsvg-convert", "/usr/bin/zbarimg"]
    static var available: Bool { tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) } }

    @Test(
        .enabled(if: available || ProcessInfo.processInfo.environment["CI"] != nil, "needs rsvg-convert and zbarimg"),
        arguments: [
            "hello",
            "otpauth://totp/Get-Your:sam@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Get-Your&algorithm=SHA1&digits=6&period=30",
            "otpauth://totp/Get-Your:" + String(repeating: "a", count: 200) + "@example.org?secret=ABCDEFGH",
            String(repeating: "Zq9", count: 300),
        ])
    func zbarReadsBackWhatWeEncoded(text: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svg = folder.appendingPathComponent("code.svg"), png = folder.appendingPathComponent("code.png")
        try QRCode(text: text).svg(title: "test").write(to: svg, atomically: true, encoding: .utf8)
        try run(Self.tools[0], ["-w", "800", svg.path, "-o", png.path])
        let decoded = try run(Self.tools[1], ["-q", "--raw", png.path])
        #expect(decoded.trimmingCharacters(in: .newlines) == text)
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
