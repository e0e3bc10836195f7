/**
 * upload_dictionary.js — the strings of "Your own data" (upload_panel.js, draw_points.js) in English
 * and Korean. The texts of the server's upload errors (`err.upload.*`, POST /api/datasets/uploads;
 * codes and params in docs/API.md "Uploaded data sets") are in docs/errors.md and so in
 * shared/error_texts.js, which `uploadErrorText` uses through shared/errors.js.
 *
 *   import uploads, { uploadErrorText } from "./upload_dictionary.js";
 *   addDictionary(uploads);
 *   uploadErrorText(item)   // one `detail` item {code, loc, params, msg} → a line in the current language
 */

import { codeText, labelOf } from "../shared/errors.js";

export default {
  en: {
    "up.title": "Your own data",
    "up.mode": "what to add",
    "up.mode_csv": "CSV file",
    "up.mode_idx": "MNIST IDX files",
    "up.mode_draw": "Draw points",
    "up.csv_file": "CSV file (numeric features + a label column)",
    "up.csv_hint": "First line: column names. Every column but the label must be numbers. Up to {rows} rows and {columns} columns.",
    "up.label_column": "label column",
    "up.name": "name",
    "up.name_placeholder": "file name",
    "up.upload": "Upload",
    "up.uploading": "Uploading… {percent}%",
    "up.checking": "Checking the file…",
    "up.done": "Added “{name}”: {n} samples, {d} features, {k} classes. It is now the selected data set.",
    "up.idx_files": "IDX files (2 or 4)",
    "up.idx_hint": "train-images-idx3-ubyte and train-labels-idx1-ubyte, optionally t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (plain or .gz). With the t10k files they are the test set.",
    "up.mnist_hint_title": "MNIST is not enabled on this server.",
    "up.list": "uploaded data sets",
    "up.list_item": "{n} samples, {k} classes",
    "up.delete": "delete {name}",
    "up.deleted": "Deleted “{name}”.",
    "up.no_file": "Choose a file first.",
    "up.failed": "Upload failed: {message}",
    "draw.title": "Draw labelled points",
    "draw.hint": "Click on the plot to add points of the selected class; then train on them and watch the decision boundary.",
    "draw.class": "class",
    "draw.class_n": "class {k}",
    "draw.brush": "points per click",
    "draw.undo": "Undo",
    "draw.clear": "Clear",
    "draw.use": "Use as data set",
    "draw.count": "{n} points ({counts})",
    "draw.need": "Draw at least {min} points of at least two classes.",
    "draw.name": "drawn points",
    "draw.plot_label": "Drawing area: {n} points. Click to add a point of {cls}.",
  },
  ko: {
    "up.title": "내 데이터",
    "up.mode": "추가할 것",
    "up.mode_csv": "CSV 파일",
    "up.mode_idx": "MNIST IDX 파일",
    "up.mode_draw": "점 그리기",
    "up.csv_file": "CSV 파일 (숫자 특성 + 레이블 열)",
    "up.csv_hint": "첫 줄: 열 이름. 레이블 말고는 모든 열이 숫자여야 합니다. 최대 {rows}행, {columns}열.",
    "up.label_column": "레이블 열",
    "up.name": "이름",
    "up.name_placeholder": "파일 이름",
    "up.upload": "올리기",
    "up.uploading": "올리는 중… {percent}%",
    "up.checking": "파일을 확인하는 중…",
    "up.done": "“{name}” 추가: 샘플 {n}개, 특성 {d}개, 클래스 {k}개. 지금 선택된 데이터 세트입니다.",
    "up.idx_files": "IDX 파일 (2개 또는 4개)",
    "up.idx_hint": "train-images-idx3-ubyte와 train-labels-idx1-ubyte, 필요하면 t10k-images-idx3-ubyte와 t10k-labels-idx1-ubyte (압축 안 된 파일 또는 .gz). t10k 파일이 있으면 테스트 세트가 됩니다.",
    "up.mnist_hint_title": "이 서버에서는 MNIST가 켜져 있지 않습니다.",
    "up.list": "올린 데이터 세트",
    "up.list_item": "샘플 {n}개, 클래스 {k}개",
    "up.delete": "{name} 지우기",
    "up.deleted": "“{name}”을(를) 지웠습니다.",
    "up.no_file": "먼저 파일을 고르세요.",
    "up.failed": "올리기 실패: {message}",
    "draw.title": "레이블 붙은 점 그리기",
    "draw.hint": "그림을 클릭해 선택한 클래스의 점을 추가하세요. 그 점으로 학습하면 결정 경계를 볼 수 있습니다.",
    "draw.class": "클래스",
    "draw.class_n": "클래스 {k}",
    "draw.brush": "클릭당 점 수",
    "draw.undo": "되돌리기",
    "draw.clear": "모두 지우기",
    "draw.use": "데이터 세트로 사용",
    "draw.count": "점 {n}개 ({counts})",
    "draw.need": "두 클래스 이상으로 점을 {min}개 이상 그리세요.",
    "draw.name": "직접 그린 점",
    "draw.plot_label": "그리기 영역: 점 {n}개. 클릭하면 {cls} 점이 추가됩니다.",
  },
};

/** Upload form fields by the last part of an error's `loc`, for naming them as the student sees them. */
const FIELD_INPUTS = { label_column: "up-label", name: "up-name" };

/**
 * One error item of the upload route in the current language (shared/errors.js `codeText`:
 * `err.<code>` with its params, else the server's English `msg`). A problem in the file itself
 * names its row and column in the text; one in another field is prefixed by that field's label.
 * @param {{code?: string, loc?: Array<string|number>, params?: object, msg?: string}} item
 */
export function uploadErrorText(item) {
  const text = codeText(item) ?? String(item?.msg ?? item ?? "");
  const field = Array.isArray(item?.loc) ? FIELD_INPUTS[item.loc[item.loc.length - 1]] : null;
  const label = field ? labelOf(document.getElementById(field)) : null;
  return label ? `${label}: ${text}` : text;
}
