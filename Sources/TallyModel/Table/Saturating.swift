/// Conversions from a double that never trap: `Int(x)` traps on NaN, an infinity or a value out
/// of range, and a sum of values from a user's file can be any of them (`1e308 + 1e308`, `inf`).
extension Int {
    /// NaN is 0; infinities and values out of range are clamped.
    @inlinable package init(saturating x: Double) {
        if x.isNaN { self = 0 } else if x >= 9.2e18 { self = Int.max } else if x <= -9.2e18 { self = Int.min } else { self = Int(x) }
    }
}

extension Int32 {
    /// NaN is 0; infinities and values out of range are clamped.
    @inlinable package init(saturating x: Double) {
        if x.isNaN {
            self = 0
        } else if x >= 2_147_483_647 {
            self = .max
        } else if x <= -2_147_483_648 {
            self = .min
        } else {
            self = Int32(x)
        }
    }
}
