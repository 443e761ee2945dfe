/// What each function computes, in a sentence, for the editor's hover and completion (the
/// language server) — the same facts as docs/LANGUAGE.md's function table. `FunctionDocsTests`
/// fails when a function in `FunctionRegistry` has no entry here.
public enum FunctionDocs {
    public static let text: [String: String] = [
        "upper": "the text in capitals",
        "lower": "the text in small letters",
        "trim": "the text without spaces at either end",
        "len": "the number of characters",
        "substr": "the characters from `start` (the first is 1), `length` of them or to the end",
        "concat": "the values as text, joined; a null counts as empty",
        "coalesce": "the first value that is not null",
        "if": "`then` where the condition is true, else `else` (a null condition is not true)",
        "case": "the value of the first `when` whose condition is true, else the `else` value (null without one)",
        "nullif": "null where the value equals `this`, else the value: `nullif(Program, \"N/A\")`",
        "matches": "true where the regular expression matches anywhere in the text: `matches(SSID, \"^[0-9]{10}$\")`",
        "extract": "the text of a group of the regular expression's first match (0: the whole match), null when none",
        "replace": "every match of the regular expression replaced (`$1` in the replacement is a group)",
        "date": "the text read as a date in the given format (`\"YYYYMMDD\"`); null where it does not parse",
        "year": "the year of a date",
        "month": "the month of a date (1-12)",
        "day": "the day of the month of a date",
        "age": "whole years from `birth` to `on`",
        "age_on": "whole years from `birth` to `on` (the same as `age`)",
        "days_between": "days from the first date to the second",
        "date_diff": "whole days, months or years (`\"day\"`, `\"month\"`, `\"year\"`) from `from` to `to`; negative when `to` is earlier",
        "add_days": "the date `n` days after (or, for a negative `n`, before) the date",
        "pad_left":
            "the text padded on the left to `width` characters with the first character of the third argument: `pad_left(School, 7, \"0\")`",
        "today": "the run's date",
        "round": "the number rounded half away from zero, to `digits` places (0 without)",
        "abs": "the number without its sign",
        "grade_order": "a grade code as a number to compare or sort by: PS -2, TK -1, KN 0, 01 1 … 12 12; other codes null",
        "number": "the text as a decimal number; null where it is not one",
        "integer": "the text as a whole number; null where it is not one",
    ]
}
