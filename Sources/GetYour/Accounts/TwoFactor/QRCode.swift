/// A QR code (ISO/IEC 18004) for short texts such as an `otpauth://` URI: byte mode, error
/// correction level M, the smallest version that fits (1–40), the mask with the lowest
/// penalty. Rendered server-side as SVG so the set-up page needs no script (P10, issue 8).
public struct QRCode: Sendable {
    /// Modules by row; true is dark.
    public let modules: [[Bool]]
    public let version: Int
    public var size: Int { modules.count }

    public enum Failure: Error { case tooLong }

    public init(text: String, mask forcedMask: Int? = nil) throws {
        let data = Array(text.utf8)
        guard let version = (1...40).first(where: { Self.dataCapacityBits($0) >= 4 + Self.countBits($0) + data.count * 8 }) else {
            throw Failure.tooLong
        }
        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        grid.drawCodewords(Self.interleavedCodewords(data, version: version))
        var best = grid
        if let forcedMask {
            best.applyMask(forcedMask)
            best.drawFormatBits(mask: forcedMask)
        } else {
            var lowest = Int.max
            for mask in 0..<8 {
                var candidate = grid
                candidate.applyMask(mask)
                candidate.drawFormatBits(mask: mask)
                let penalty = candidate.penalty()
                if penalty < lowest {
                    lowest = penalty
                    best = candidate
                }
            }
        }
        self.modules = best.dark
        self.version = version
    }

    /// The code as an SVG image with a quiet zone of 4 modules; one path, crisp at any size.
    public func svg(title: String) -> String {
        let side = size + 8
        var path = ""
        for (y, row) in modules.enumerated() {
            for (x, dark) in row.enumerated() where dark { path += "M\(x + 4),\(y + 4)h1v1h-1z" }
        }
        let escaped = title.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(side * 5)" height="\(side * 5)" \
            role="img" aria-label="\(escaped)" shape-rendering="crispEdges"><rect width="100%" height="100%" fill="#fff"/>\
            <path fill="#000" d="\(path)"/></svg>
            """
    }

    // MARK: capacity (level M)

    static let eccPerBlock = [
        0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        28, 28, 28, 28, 28, 28, 28, 28,
    ]
    static let blockCount = [
        0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38,
        40, 43, 45, 47, 49,
    ]

    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[version] * blockCount[version]
    }

    static func dataCapacityBits(_ version: Int) -> Int { dataCodewords(version) * 8 }
    static func countBits(_ version: Int) -> Int { version <= 9 ? 8 : 16 }

    // MARK: codewords

    static func interleavedCodewords(_ data: [UInt8], version: Int) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)  // byte mode
        bits.append(data.count, count: countBits(version))
        for byte in data { bits.append(Int(byte), count: 8) }
        let capacity = dataCapacityBits(version)
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var pad = 0xEC
        while bits.count < capacity {
            bits.append(pad, count: 8)
            pad ^= 0xEC ^ 0x11
        }
        let codewords = bits.bytes()

        let blocks = blockCount[version], ecc = eccPerBlock[version]
        let rawCodewords = rawDataModules(version) / 8
        let shortBlocks = blocks - rawCodewords % blocks
        let shortLength = rawCodewords / blocks
        let generator = ReedSolomon.generator(degree: ecc)
        var dataBlocks: [[UInt8]] = [], eccBlocks: [[UInt8]] = []
        var offset = 0
        for index in 0..<blocks {
            let length = shortLength - ecc + (index < shortBlocks ? 0 : 1)
            let block = Array(codewords[offset..<offset + length])
            offset += length
            dataBlocks.append(block)
            eccBlocks.append(ReedSolomon.remainder(block, generator: generator))
        }
        var result: [UInt8] = []
        for column in 0...shortLength - ecc {
            for block in dataBlocks where column < block.count { result.append(block[column]) }
        }
        for column in 0..<ecc {
            for block in eccBlocks { result.append(block[column]) }
        }
        return result
    }
}

/// Bits appended most significant first.
private struct BitBuffer {
    var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        for shift in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> shift) & 1 == 1) }
    }

    func bytes() -> [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { ($0 << 1) | ($1 ? 1 : 0) }
        }
    }
}

/// Reed–Solomon error correction over GF(2⁸) with the QR polynomial 0x11D.
private enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var result = 0
        for bit in stride(from: 7, through: 0, by: -1) {
            result = (result << 1) ^ ((result >> 7) * 0x11D)
            result ^= ((Int(y) >> bit) & 1) * Int(x)
        }
        return UInt8(result)
    }

    static func generator(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree { result[index] ^= result[index + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], generator: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for index in result.indices { result[index] ^= multiply(generator[index], factor) }
        }
        return result
    }
}

/// The module grid while it is being built.
private struct Grid {
    let version: Int
    let size: Int
    var dark: [[Bool]]
    var isFunction: [[Bool]]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        dark = Array(repeating: Array(repeating: false, count: size), count: size)
        isFunction = dark
    }

    mutating func set(_ x: Int, _ y: Int, _ value: Bool) {
        dark[y][x] = value
        isFunction[y][x] = true
    }

    var alignmentPositions: [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var positions = [6]
        var position = size - 7
        while positions.count < count {
            positions.insert(position, at: 1)
            position -= step
        }
        return positions
    }

    mutating func drawFunctionPatterns() {
        for index in 0..<size {
            set(6, index, index % 2 == 0)
            set(index, 6, index % 2 == 0)
        }
        for (x, y) in [(3, 3), (size - 4, 3), (3, size - 4)] { drawFinder(x, y) }
        let positions = alignmentPositions
        for (i, x) in positions.enumerated() {
            for (j, y) in positions.enumerated() {
                let overlapsFinder = (i == 0 && j == 0) || (i == 0 && j == positions.count - 1) || (i == positions.count - 1 && j == 0)
                if !overlapsFinder { drawAlignment(x, y) }
            }
        }
        drawFormatBits(mask: 0)  // reserves the format areas; redrawn once the mask is chosen
        drawVersionBits()
    }

    mutating func drawFinder(_ cx: Int, _ cy: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = cx + dx, y = cy + dy
                guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                let distance = max(abs(dx), abs(dy))
                set(x, y, distance != 2 && distance != 4)
            }
        }
    }

    mutating func drawAlignment(_ cx: Int, _ cy: Int) {
        for dy in -2...2 {
            for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
        }
    }

    mutating func drawFormatBits(mask: Int) {
        let data = (0b00 << 3) | mask  // level M is 00
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = ((data << 10) | remainder) ^ 0x5412
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        for index in 0...5 { set(8, index, bit(index)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for index in 9..<15 { set(14 - index, 8, bit(index)) }
        for index in 0..<8 { set(size - 1 - index, 8, bit(index)) }
        for index in 8..<15 { set(8, size - 15 + index, bit(index)) }
        set(8, size - 8, true)  // the dark module
    }

    mutating func drawVersionBits() {
        guard version >= 7 else { return }
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        let bits = (version << 12) | remainder
        for index in 0..<18 {
            let value = (bits >> index) & 1 == 1
            let a = size - 11 + index % 3, b = index / 3
            set(a, b, value)
            set(b, a, value)
        }
    }

    mutating func drawCodewords(_ codewords: [UInt8]) {
        var bitIndex = 0
        let totalBits = codewords.count * 8
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for column in 0..<2 {
                    let x = right - column
                    let upward = ((right + 1) & 2) == 0
                    let y = upward ? size - 1 - vertical : vertical
                    guard !isFunction[y][x], bitIndex < totalBits else { continue }
                    dark[y][x] = (codewords[bitIndex >> 3] >> (7 - (bitIndex & 7))) & 1 == 1
                    bitIndex += 1
                }
            }
            right -= 2
        }
    }

    mutating func applyMask(_ mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y][x] {
                let invert: Bool
                switch mask {
                case 0: invert = (x + y) % 2 == 0
                case 1: invert = y % 2 == 0
                case 2: invert = x % 3 == 0
                case 3: invert = (x + y) % 3 == 0
                case 4: invert = (x / 3 + y / 2) % 2 == 0
                case 5: invert = x * y % 2 + x * y % 3 == 0
                case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
                default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
                }
                if invert { dark[y][x].toggle() }
            }
        }
    }

    /// The penalty score of ISO/IEC 18004 §8.8.2 (rules 1–4).
    func penalty() -> Int {
        var result = 0
        func lines(_ horizontal: Bool) -> [[Bool]] {
            horizontal ? dark : (0..<size).map { x in (0..<size).map { y in dark[y][x] } }
        }
        for horizontal in [true, false] {
            for line in lines(horizontal) {
                var runColor = line[0], runLength = 1
                for index in 1..<size {
                    if line[index] == runColor {
                        runLength += 1
                    } else {
                        if runLength >= 5 { result += runLength - 2 }
                        runColor = line[index]
                        runLength = 1
                    }
                }
                if runLength >= 5 { result += runLength - 2 }
                // Finder-like 1:1:3:1:1 patterns with four light modules on one side.
                let padded = [Bool](repeating: false, count: 4) + line + [Bool](repeating: false, count: 4)
                let pattern = [true, false, true, true, true, false, true]
                for start in 0...(padded.count - 7) where Array(padded[start..<start + 7]) == pattern {
                    let before = start >= 4 && padded[(start - 4)..<start].allSatisfy { !$0 }
                    let after = start + 11 <= padded.count && padded[(start + 7)..<(start + 11)].allSatisfy { !$0 }
                    if before || after { result += 40 }
                }
            }
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let color = dark[y][x]
                if color == dark[y][x + 1] && color == dark[y + 1][x] && color == dark[y + 1][x + 1] { result += 3 }
            }
        }
        let darkCount = dark.reduce(0) { $0 + $1.filter { $0 }.count }
        let total = size * size
        let k = (abs(darkCount * 20 - total * 10) + total - 1) / total - 1
        result += k * 10
        return result
    }
}
