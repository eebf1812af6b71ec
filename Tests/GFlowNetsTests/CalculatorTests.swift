import XCTest
import Foundation
import TestFixtures
@testable import GFlowNets

/// The arithmetic task's calculator on hand-written states: every extraction rule, the two-operand
/// limit (the reference's truncation and the refusal), failing expressions.
final class CalculatorTests: XCTestCase {
    let calculator = Calculator()

    func testTheExpressionIsTheTextAfterAnswerCommaAndPeriodUpToTheFirstEquals() {
        XCTAssertEqual(Calculator.expression(in: "Question: 6 - 0 - 4 - 8 = ? Answer: 6 - 0 ="), " 6 - 0 ")
        XCTAssertEqual(Calculator.expression(in: "Question: 6 - 0 - 4 - 8 = ? Answer: 6 - 0 = 6, 6 - 4 ="), " 6 - 4 ")
        XCTAssertEqual(Calculator.expression(in: "Answer: 1 + 2 = 3. 3 + 4 ="), " 3 + 4 ")
        XCTAssertEqual(Calculator.expression(in: "no answer marker, 7 - 2 ="), " 7 - 2 ")
        // The first "=" after the cuts ends it (an earlier call's result is before the last comma).
        XCTAssertEqual(Calculator.expression(in: "Answer: 2 + 2 = 4 ="), " 2 + 2 ")
    }

    func testTwoOperandsAreEvaluatedOnIntegers() {
        XCTAssertEqual(calculator.insertion(after: "Question: 6 - 0 - 4 - 8 = ? Answer: 6 - 0 ="), " 6")
        XCTAssertEqual(calculator.insertion(after: "Answer: 6 - 0 = 6, 6 - 4 ="), " 2")
        XCTAssertEqual(calculator.insertion(after: "Answer: 6 - 0 = 6, 6 - 4 = 2, 2 - 8 ="), " -6")
        XCTAssertEqual(calculator.evaluate("-6 - 3"), -9, "a sign before the first number")
        XCTAssertEqual(calculator.evaluate("-6 + -3"), -9, "a sign after the operator")
        XCTAssertEqual(calculator.evaluate(" 9 "), 9)
        XCTAssertEqual(calculator.evaluate("12 − 5"), 7, "the minus sign U+2212 too")
    }

    func testMoreThanTwoOperandsKeepTheLastOperatorAndOperandOrAreRefused() {
        XCTAssertEqual(calculator.evaluate(" 6 - 0 - 4 "), -4, "the reference's truncation: \"- 4\"")
        XCTAssertEqual(calculator.evaluate("1 + 2 + 3"), 3)
        XCTAssertEqual(calculator.evaluate("-6 - 3 + 2"), 2)
        XCTAssertNil(Calculator(limitBehaviour: .refuse).evaluate(" 6 - 0 - 4 "))
        XCTAssertEqual(Calculator(operandLimit: nil).evaluate(" 6 - 0 - 4 "), 2)
        XCTAssertEqual(Calculator(operandLimit: 3).evaluate("1 + 2 + 3"), 6)
    }

    func testNothingIsInsertedWhenEvaluationFails() {
        for bad in ["", "   ", "6 4", "6 -", "- ", "6 - - - 4", "6 * 4", "x + 1", "1 + + 2 + 3 4", "99999999999999999999 + 1"] {
            XCTAssertNil(calculator.evaluate(bad), "«\(bad)»")
        }
        XCTAssertNil(calculator.insertion(after: "Answer: ="))
        XCTAssertNil(calculator.insertion(after: "Answer: 6 - 0 = 6, ="))
        XCTAssertNil(Calculator(operandLimit: nil).evaluate("9223372036854775807 + 1"), "overflow")
    }

    func testTheTrigger() {
        XCTAssertTrue(Calculator.triggers("="))
        XCTAssertTrue(Calculator.triggers(" ="))
        XCTAssertFalse(Calculator.triggers("=="))
        XCTAssertFalse(Calculator.triggers(" = "))
        XCTAssertFalse(Calculator.triggers("6"))
    }
}

extension CalculatorTests {
    func testFillWritesEachResultAfterItsCallAndLeavesThePromptOut() {
        let prompt = "Question: 6 - 0 - 4 - 8 = ? Answer:"
        XCTAssertEqual(calculator.fill(" 6 - 0 =, 6 - 4 =, 2 - 8 =", after: prompt), " 6 - 0 = 6, 6 - 4 = 2, 2 - 8 = -6")
        XCTAssertEqual(calculator.fill(" 5 + 9 =, 14 - 3 =, 11 + 8 =. The answer is 19.", after: "Question: 5 + 9 - 3 + 8 = ? Answer:"),
                       " 5 + 9 = 14, 14 - 3 = 11, 11 + 8 = 19. The answer is 19.")
        XCTAssertEqual(calculator.fill(" 6 - 0 - 4 =", after: prompt), " 6 - 0 - 4 = -4", "the two-operand limit applies")
        XCTAssertEqual(calculator.fill(" =, 3 =", after: prompt), " =, 3 = 3", "a failed call inserts nothing")
        XCTAssertEqual(calculator.fill("no calls"), "no calls")
    }
}

extension CalculatorTests {
    /// data/arithmetic's non-tool rationales (the reward's demonstrations) are the tool-style ones with
    /// the calculator's results written in left to right, and each ends at the problem's answer.
    func testTheDemonstrationFileIsTheToolRationalesFilledIn() throws {
        let folder = TestPaths.root.appendingPathComponent("data/arithmetic")
        func items(_ name: String) throws -> [[String: Any]] {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(name))) as? [[String: Any]])
        }
        let tool = try items("1digit_34_op+-_train_50.json"), filled = try items("1digit_34_op+-_train_50_no_tool.json")
        XCTAssertEqual(tool.count, 50)
        XCTAssertEqual(filled.count, tool.count)
        for (t, f) in zip(tool, filled) {
            let query = try XCTUnwrap(t["str_query"] as? String), rationale = try XCTUnwrap(t["str_rationale"] as? String)
            let answer = try XCTUnwrap(t["num_sol"] as? Int)
            XCTAssertEqual(f["str_query"] as? String, query)
            let expected = calculator.fill(" " + rationale, after: query).trimmingCharacters(in: .whitespaces)
            XCTAssertEqual(f["str_rationale"] as? String, expected)
            XCTAssertEqual(expected.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespaces) }, "\(answer)", query)
            // Every call has two operands: the limit never truncates a gold rationale.
            XCTAssertEqual(Calculator(operandLimit: nil).fill(" " + rationale, after: query).trimmingCharacters(in: .whitespaces), expected)
        }
    }
}
