"""The catalogue of every text a problem response can carry, in Vietnamese, keyed by the English
text the code raises (gettext's model: the English sentence is the message id).

The API turns a problem's `title`, `detail` and field messages into the reader's language at
the edge (api/problem_language.py), so the domain keeps raising plain English exceptions.
`tests/i18n/test_problem_texts.py` reads every raise in app/, api/ and sync/ and fails when a
text is missing here. A placeholder `{}` stands for any value (an f-string's field).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

VI: dict[str, str] = {
    # Titles (one per kind of problem)
    "Bad request": "Yêu cầu không hợp lệ",
    "Validation failed": "Thông tin chưa hợp lệ",
    "Not found": "Không tìm thấy",
    "Not Found": "Không tìm thấy",
    "Forbidden": "Không có quyền",
    "Authentication required": "Cần đăng nhập",
    "Conflict": "Xung đột dữ liệu",
    "Transition not allowed": "Không thực hiện được thao tác này",
    "Gone": "Không còn nữa",
    "Payload too large": "Dữ liệu quá lớn",
    "Too many requests": "Quá nhiều yêu cầu",
    "Bad upload request": "Yêu cầu tải lên không hợp lệ",
    "Unsupported tus version": "Phiên bản tải lên không được hỗ trợ",
    "Upload-Offset does not match": "Vị trí tải lên không khớp",
    "Checksum mismatch": "Dữ liệu bị lỗi khi truyền",
    "File type not accepted": "Loại tệp không được nhận",
    "Unsupported media type": "Định dạng dữ liệu không được hỗ trợ",
    "Unknown user": "Tài khoản không tồn tại",
    "Unknown mutation": "Thao tác không xác định",
    "Internal Server Error": "Lỗi máy chủ",
    "Service unavailable": "Dịch vụ tạm thời gián đoạn",
    "Invalid token": "Phiên đăng nhập không hợp lệ",
    "Token expired": "Phiên đăng nhập đã hết hạn",
    "Token revoked": "Phiên đăng nhập đã kết thúc",
    "Fresh token required": "Cần đăng nhập lại",
    "Method Not Allowed": "Phương thức không được phép",
    "Request Entity Too Large": "Dữ liệu quá lớn",
    "Unsupported Media Type": "Định dạng dữ liệu không được hỗ trợ",
    "Bad Request": "Yêu cầu không hợp lệ",
    "Unprocessable Entity": "Thông tin chưa hợp lệ",
    # Server faults, bounds (sync/faults.py, sync/drafts.py, sync/actions.py)
    "Change not applied yet": "Thay đổi chưa được áp dụng",
    "Kept for review": "Đã lưu giữ để xử lý",
    "Text message not sent": "Chưa gửi được tin nhắn",
    "The server could not apply change {} yet; it and the changes after it are kept on the "
    "phone and sent again.": "Máy chủ chưa áp dụng được thay đổi {}; thay đổi này và các thay "
    "đổi sau vẫn được giữ trên điện thoại và sẽ được gửi lại.",
    "The server could not apply this change. It is kept and will be applied once the fault is "
    "fixed; nothing needs to be typed again.": "Máy chủ chưa áp dụng được thay đổi này. Dữ liệu "
    "được lưu giữ và sẽ được áp dụng khi sự cố được khắc phục; bạn không cần nhập lại.",
    "`{}` holds at most {} characters.": "`{}` không được quá {} ký tự.",
    "`{}` is out of range.": "`{}` vượt quá giới hạn cho phép.",
    # Accounts
    "Use at least 8 characters.": "Mật khẩu cần ít nhất 8 ký tự.",
    "Use at most 256 characters.": "Mật khẩu không được quá 256 ký tự.",
    "This password is too easy to guess.": "Mật khẩu này quá dễ đoán.",
    "Mix letters and digits, or use 12 or more digits.":
        "Hãy dùng cả chữ và số, hoặc ít nhất 12 chữ số.",
    "Do not use your phone number or email in the password.":
        "Không dùng số điện thoại hoặc email của bạn làm mật khẩu.",
    "Give a phone number or an email address.": "Hãy nhập số điện thoại hoặc email.",
    "Give a phone number or email.": "Hãy nhập số điện thoại hoặc email.",
    "Not a valid Vietnamese mobile number.":
        "Số điện thoại di động không hợp lệ (ví dụ: 0912345678).",
    "Not a valid email address.": "Địa chỉ email không hợp lệ.",
    "Required.": "Trường này là bắt buộc.",
    "Some fields are missing or invalid.": "Một số thông tin còn thiếu hoặc chưa đúng.",
    "Some fields are invalid.": "Một số thông tin chưa đúng.",
    "An account with this phone number or email already exists.":
        "Số điện thoại hoặc email này đã có tài khoản. Hãy đăng nhập.",
    "Already registered.": "Đã có tài khoản với thông tin này.",
    "An account with this email already exists.": "Email này đã có tài khoản.",
    "Weak password.": "Mật khẩu chưa đủ mạnh.",
    "Role must be one of {}.": "Vai trò phải là một trong: {}.",
    "No agency {}.": "Không có cơ quan {}.",
    "Too many failed sign-ins. Try again later.":
        "Bạn đã nhập sai nhiều lần. Vui lòng thử lại sau ít phút.",
    "Wrong phone/email or password.": "Số điện thoại/email hoặc mật khẩu không đúng.",
    "This session has ended. Sign in again.": "Phiên đăng nhập đã kết thúc. Vui lòng đăng nhập lại.",
    "This refresh token was already used; the session is revoked.":
        "Phiên đăng nhập đã bị thu hồi. Vui lòng đăng nhập lại.",
    "This refresh token belongs to another session.":
        "Phiên đăng nhập không khớp. Vui lòng đăng nhập lại.",
    "Invalid refresh token.": "Phiên đăng nhập không hợp lệ. Vui lòng đăng nhập lại.",
    "The current password is wrong.": "Mật khẩu hiện tại không đúng.",
    "The access token expired; refresh it.": "Phiên đăng nhập đã hết hạn.",
    "Sign in again.": "Vui lòng đăng nhập lại.",
    "The account no longer exists.": "Tài khoản không còn tồn tại.",
    "This is for citizens' accounts.": "Chức năng này dành cho tài khoản công dân.",
    "The back office is for officials only.": "Trang này chỉ dành cho cán bộ.",
    "Missing Authorization Header": "Cần đăng nhập.",
    # Dossiers and the desk
    "No such dossier.": "Không tìm thấy hồ sơ.",
    "No such dossier in your agency.": "Không tìm thấy hồ sơ này trong cơ quan của bạn.",
    "The dossier is incomplete.": "Hồ sơ chưa đầy đủ.",
    "Unknown action {}.": "Thao tác không hợp lệ: {}.",
    "One of: {}.": "Một trong: {}.",
    "A note is required for this action.": "Cần ghi lý do cho thao tác này.",
    "This dossier was already rated.": "Hồ sơ này đã được đánh giá.",
    "Rating must be 1 to 5.": "Điểm đánh giá từ 1 đến 5.",
    "Only the citizen who owns the dossier can do this.":
        "Chỉ người nộp hồ sơ mới thực hiện được việc này.",
    "Only an official of the handling agency can do this.":
        "Chỉ cán bộ của cơ quan giải quyết mới thực hiện được việc này.",
    "The supplement request must name the items to fix.":
        "Yêu cầu bổ sung cần nêu rõ các mục cần bổ sung.",
    "Only the requested fields can be changed.": "Chỉ được sửa các mục được yêu cầu bổ sung.",
    "Unknown delivery method.": "Hình thức trả kết quả không hợp lệ.",
    "The result needs the number of the issued document.": "Cần nhập số của giấy tờ đã cấp.",
    "The dossier changed since you opened it; reload it.":
        "Hồ sơ đã thay đổi từ khi bạn mở. Vui lòng tải lại.",
    "Your role cannot take this step.": "Vai trò của bạn không thực hiện được bước này.",
    "Another official holds this dossier; ask them or the leader to hand it on.":
        "Hồ sơ đang do cán bộ khác giữ; hãy đề nghị người đó hoặc lãnh đạo chuyển cho bạn.",
    "The draft result is with the leader for approval.":
        "Dự thảo kết quả đang chờ lãnh đạo phê duyệt.",
    "No draft result waits for approval.": "Không có dự thảo kết quả nào đang chờ phê duyệt.",
    "A supplement was already requested for this dossier; the rules allow one request naming "
    "everything at once.": "Hồ sơ này đã được yêu cầu bổ sung một lần; theo quy định chỉ yêu "
    "cầu bổ sung một lần, nêu đầy đủ mọi nội dung cần bổ sung.",
    "The dossier is not late: an apology slip is issued only once the appointment date is "
    "reached.": "Hồ sơ chưa trễ hạn: chỉ lập phiếu xin lỗi khi đã đến ngày hẹn trả kết quả.",
    "This dossier has no such slip.": "Hồ sơ này không có phiếu này.",
    "No such official in your agency for this step.":
        "Không có cán bộ này trong cơ quan của bạn cho bước này.",
    "Choose the official who takes the dossier over.": "Hãy chọn cán bộ nhận hồ sơ.",
    "The new appointment date must come after today.":
        "Ngày hẹn mới phải sau hôm nay và sau ngày hẹn cũ.",
    "This step is not possible in the dossier's current status.":
        "Bước này không thực hiện được ở trạng thái hiện tại của hồ sơ.",
    "Cannot delete a dossier that is {}.": "Không thể xoá hồ sơ ở trạng thái {}.",
    "No procedure {}.": "Không có thủ tục {}.",
    "Procedure {} has no form version {}.": "Thủ tục {} không có mẫu đơn phiên bản {}.",
    "No code table {}.": "Không có danh mục mã {}.",
    "The address has no known ward.": "Địa chỉ không có phường, xã hợp lệ.",
    "No agency in the directory serves this address.":
        "Chưa có cơ quan nào trong danh bạ phục vụ địa chỉ này.",
    "A bundle is handled through its linked dossiers; act on each of them.":
        "Hồ sơ liên thông được giải quyết qua từng hồ sơ thành phần; hãy thao tác trên từng hồ sơ.",
    "The answers do not fit {}.": "Thông tin đã khai chưa phù hợp với thủ tục {}.",
    "{} form version {} is published and cannot change; publish a new version instead.":
        "Mẫu đơn {} phiên bản {} đã công bố, không sửa được; hãy công bố phiên bản mới.",
    # Documents and uploads
    "`document_code` is required.": "Cần chọn loại giấy tờ.",
    "The form asks for no such document.": "Thủ tục này không yêu cầu giấy tờ đó.",
    "Unknown for this form.": "Không có trong mẫu đơn này.",
    "Unknown for this procedure.": "Không có trong thủ tục này.",
    "This upload expired; upload the file again.": "Tệp tải lên đã hết hạn; vui lòng tải lại.",
    "This upload expired; start a new one.": "Tệp tải lên đã hết hạn; vui lòng tải lại.",
    "This upload was made for another document.": "Tệp này được tải lên cho giấy tờ khác.",
    "Made for {}.": "Dành cho {}.",
    "This record cannot stand for this document.": "Giấy tờ đã lưu này không dùng thay được.",
    "Accepted: {}.": "Chấp nhận: {}.",
    "Give either `upload_id` or `record_id`.": "Hãy tải tệp lên hoặc chọn giấy tờ đã lưu.",
    "Exactly one of upload_id, record_id.": "Chỉ chọn một: tệp tải lên hoặc giấy tờ đã lưu.",
    "Documents can change only on a draft, or when the agency asks for them.":
        "Chỉ sửa giấy tờ khi hồ sơ là bản nháp hoặc khi cơ quan yêu cầu bổ sung.",
    "The file is no longer stored.": "Tệp không còn được lưu.",
    "This record has no file.": "Giấy tờ này không có tệp.",
    "No such record.": "Không tìm thấy giấy tờ.",
    "No such record in a dossier of your agency.":
        "Không tìm thấy giấy tờ trong hồ sơ của cơ quan bạn.",
    "Unknown profile fields.": "Thông tin hồ sơ cá nhân không hợp lệ.",
    "Unknown.": "Không xác định.",
    "Unknown procedure.": "Thủ tục không tồn tại.",
    "Unknown form version.": "Phiên bản mẫu đơn không tồn tại.",
    "No such upload.": "Không tìm thấy tệp tải lên.",
    "The upload was removed meanwhile.": "Tệp tải lên đã bị xoá.",
    "The upload is already complete.": "Tệp đã tải lên xong.",
    "The upload is not complete yet.": "Tệp chưa tải lên xong.",
    "The upload went back; start from HEAD.": "Tải lên bị lùi lại; hãy tải tiếp từ đầu.",
    "An empty file is not a document.": "Tệp trống, không phải giấy tờ.",
    "Must be at least 1 byte.": "Tệp phải có ít nhất 1 byte.",
    "Uploads are made by citizens.": "Chỉ công dân mới tải giấy tờ lên.",
    "This file belongs to a submitted dossier and cannot be deleted.":
        "Tệp thuộc hồ sơ đã nộp, không xoá được.",
    "POST here needs X-HTTP-Method-Override: PATCH or DELETE.":
        "Yêu cầu POST ở đây cần X-HTTP-Method-Override: PATCH hoặc DELETE.",
    "Upload-Metadata is too long.": "Thông tin tệp quá dài.",
    "Upload-Metadata is malformed.": "Thông tin tệp không đúng dạng.",
    "Upload-Metadata must name the procedure and the document.":
        "Thông tin tệp phải nêu thủ tục và loại giấy tờ.",
    "Upload-Metadata {} is not base64 UTF-8.": "Thông tin tệp {} không đúng dạng base64 UTF-8.",
    "Required in Upload-Metadata.": "Bắt buộc trong thông tin tệp.",
    "Metadata sha256 must be 64 hex digits.": "Mã sha256 phải gồm 64 chữ số thập lục phân.",
    "Upload-Length does not match the file with this sha256.":
        "Kích thước tệp không khớp với mã sha256.",
    "Upload-Checksum must be '<algorithm> <base64 digest>'.":
        "Mã kiểm tra phải có dạng '<thuật toán> <base64>'.",
    "Checksum algorithm {} is not supported; use one of {}.":
        "Thuật toán kiểm tra {} không được hỗ trợ; dùng một trong: {}.",
    "{} must be a non-negative integer.": "{} phải là số nguyên không âm.",
    "A non-negative integer is required.": "Cần một số nguyên không âm.",
    "The body runs past Upload-Length.": "Dữ liệu gửi vượt quá kích thước tệp.",
    "The server has {} bytes of this upload; send from there.":
        "Máy chủ đã có {} byte của tệp; hãy gửi tiếp từ đó.",
    "This server speaks tus {}; send Tus-Resumable: {}.":
        "Máy chủ dùng tus {}; hãy gửi Tus-Resumable: {}.",
    "The chunk's checksum does not match; it was not stored. Send it again.":
        "Đoạn dữ liệu bị lỗi khi truyền, chưa được lưu. Vui lòng gửi lại.",
    "The file's sha256 differs from the one declared; it was not kept. Upload it again.":
        "Tệp nhận được khác tệp đã khai báo, chưa được lưu. Vui lòng tải lại.",
    "{}: accepted types are {}; this file is {}.": "{}: chỉ nhận {}; tệp này là {}.",
    "{}: accepted types are {}; the content is {} whatever its name says.":
        "{}: chỉ nhận {}; nội dung tệp là {} dù tên tệp ghi khác.",
    "{}: the file is {} but was sent as {} ({}); send it under its real type.":
        "{}: tệp là {} nhưng được gửi như {} ({}); hãy gửi đúng loại tệp.",
    "At most {} bytes.": "Tối đa {} byte.",
    "Send at most {} bytes per request.": "Mỗi lần gửi tối đa {} byte.",
    # Signed documents, share links and phone signatures
    "No such document.": "Không tìm thấy giấy tờ.",
    "Document being prepared": "Giấy tờ đang được chuẩn bị",
    "The document is being prepared; try again in a few seconds.":
        "Cơ quan đang ký số giấy tờ này; vui lòng thử lại sau ít giây.",
    "No such device key.": "Không tìm thấy khoá của thiết bị.",
    "No such share link.": "Không tìm thấy đường dẫn chia sẻ.",
    "This share link has expired.": "Đường dẫn chia sẻ đã hết hạn.",
    "This share link was revoked.": "Đường dẫn chia sẻ đã bị thu hồi.",
    "Not an ECDSA P-256 public key.": "Không phải khoá công khai ECDSA P-256.",
    "Signature does not match": "Chữ ký không khớp",
    "`device_signature` must be an object.": "Chữ ký của thiết bị không đúng dạng.",
    "`device_signature` needs key_id, captured_at, documents and signature.":
        "Chữ ký của thiết bị cần có key_id, captured_at, documents và signature.",
    # The scan of a paper result attached at Complete (signed_documents.py)
    "The scan is not valid base64.": "Bản quét không đúng định dạng base64.",
    "The scan is too large.": "Bản quét quá lớn.",
    "The scan must be a JPEG or PNG image.": "Bản quét phải là ảnh JPEG hoặc PNG.",
    "JPEG, PNG": "JPEG, PNG",
    # Sync, push and input hygiene
    "The JSON body is nested too deeply.": "Dữ liệu gửi lồng nhau quá sâu.",
    "Text may not contain NUL characters.": "Văn bản không được chứa ký tự NUL.",
    "NUL (\\u0000) is not allowed.": "Không được dùng ký tự NUL (\\u0000).",
    "Send the body as application/json.": "Hãy gửi dữ liệu dạng application/json.",
    "Send the bytes as {}.": "Hãy gửi dữ liệu dạng {}.",
    "The push subscription was refused.": "Đăng ký nhận thông báo bị từ chối.",
    "This device subscribed at the same time from elsewhere; retry.":
        "Thiết bị này vừa đăng ký ở nơi khác cùng lúc; vui lòng thử lại.",
    "No such notification.": "Không tìm thấy thông báo.",
    "No such conflict.": "Không tìm thấy chỗ khác nhau này.",
    "`use` must be \"kept\" or \"other\".": "Hãy chọn giữ bản của bạn hoặc dùng bản kia.",
    "Only a draft's fields can be changed here.": "Chỉ sửa được thông tin của bản nháp.",
    "The other value does not fit the form any more.": "Giá trị kia không còn hợp với mẫu đơn.",
    "A new draft needs `procedure_code`.": "Bản nháp mới cần có mã thủ tục.",
    "`fields` must be an object.": "Thông tin gửi không đúng dạng.",
    "`args` must be an object.": "Thông tin gửi không đúng dạng.",
    "`mutations` must be a list of objects.": "Danh sách thao tác không đúng dạng.",
    "Each mutation needs an integer `id` from 1 up.": "Mỗi thao tác cần số thứ tự từ 1.",
    "Mutation ids in a batch must be consecutive.": "Số thứ tự các thao tác phải liên tiếp.",
    "Mutations are missing: the next one expected is {}.":
        "Thiếu thao tác: đang chờ thao tác số {}.",
    "A batch holds at most {} mutations.": "Mỗi lần gửi tối đa {} thao tác.",
    "A batch holds at most {} bytes.": "Mỗi lần gửi tối đa {} byte.",
    "Unknown mutation {}.": "Thao tác không xác định: {}.",
    "`captured_at` must be an RFC 3339 time.": "Thời điểm phải theo định dạng RFC 3339.",
    "RFC 3339": "định dạng RFC 3339",
    "`client_id` must be a UUID.": "Mã thiết bị phải là UUID.",
    "`{}` must be a UUID.": "{} phải là UUID.",
    "`{}` must be an integer.": "{} phải là số nguyên.",
    "`{}` must be text.": "{} phải là văn bản.",
    "`base_version` {} is ahead of the server's {}.":
        "Phiên bản {} mới hơn phiên bản trên máy chủ ({}).",
    "A value in this change cannot be stored.": "Một giá trị trong thay đổi này không lưu được.",
    "The server could not apply this change.": "Máy chủ chưa thực hiện được thay đổi này.",
    "This client belongs to another account.": "Thiết bị này thuộc tài khoản khác.",
    "This client belongs to another account; sign in there or reinstall.":
        "Thiết bị này thuộc tài khoản khác; hãy đăng nhập tài khoản đó hoặc cài lại ứng dụng.",
    "This cursor can no longer be served; pull again without a cursor.":
        "Dữ liệu đồng bộ đã cũ; hãy đồng bộ lại từ đầu.",
    "{}: {}": "{}: {}",
    # Fees and payments (docs/payments.md)
    "The fee is not paid yet: this step has to wait.":
        "Hồ sơ chưa nộp lệ phí: chưa thể thực hiện bước này.",
    "No payment gateway is configured here.": "Chưa cấu hình cổng thanh toán.",
    "No such flagged transfer in your agency.": "Không có giao dịch cần kiểm tra này ở cơ quan của bạn.",
    "No such payment.": "Không tìm thấy khoản thanh toán.",
    "No such receipt.": "Không tìm thấy biên lai.",
    "No such refund in your agency.": "Không có khoản hoàn trả này ở cơ quan của bạn.",
    "Nothing to pay on this dossier.": "Hồ sơ này không có khoản phải nộp.",
    "Online payment is not available": "Chưa thể thanh toán trực tuyến",
    "Online payment is not available here; pay at the desk.":
        "Chưa thể thanh toán trực tuyến; vui lòng nộp tại bộ phận một cửa.",
    "Only an official records a payment at the desk.": "Chỉ cán bộ mới ghi nhận khoản nộp tại quầy.",
    "Payment gateway unavailable": "Cổng thanh toán tạm thời gián đoạn",
    "The payment gateway did not answer; try again.":
        "Cổng thanh toán chưa phản hồi; vui lòng thử lại.",
    "The payment request is still being prepared; try again in a moment.":
        "Yêu cầu thanh toán đang được tạo; vui lòng thử lại sau giây lát.",
    "The webhook signature does not verify.": "Chữ ký webhook không hợp lệ.",
    "This dossier does not take payments now.": "Hồ sơ hiện không nhận thanh toán.",
    "This refund was already made.": "Khoản này đã được hoàn trả.",
    "Unknown payment method.": "Hình thức nộp không hợp lệ.",
    "Unknown refund method.": "Hình thức hoàn trả không hợp lệ.",
    # Service quality (docs/quality.md)
    "Only an agency's leader sees the quality index.":
        "Chỉ lãnh đạo cơ quan được xem chỉ số chất lượng phục vụ.",
    "The period must end after it starts and span at most ten years.":
        "Kỳ đánh giá phải kết thúc sau ngày bắt đầu và không dài quá mười năm.",
    "No such agency.": "Không có cơ quan này.",
    "This agency offers no such procedure.": "Cơ quan không cung cấp thủ tục này.",
    "The rating's criteria or reasons are not valid.":
        "Tiêu chí hoặc lý do của đánh giá không hợp lệ.",
    "An object of {}, each 1 to 5.": "Một đối tượng gồm {}, mỗi mục từ 1 đến 5.",
    "A list of: {}.": "Danh sách gồm: {}.",
    "No such rating in your agency.": "Không có đánh giá này ở cơ quan của bạn.",
    "This rating was already answered.": "Đánh giá này đã được trả lời.",
    "An answer needs some text.": "Câu trả lời cần có nội dung.",
    "A telemetry batch holds at most {} bytes.": "Một lô dữ liệu chẩn đoán không được quá {} byte.",
    # Framework texts (werkzeug, webargs, marshmallow, the edge handlers)
    "The server could not complete the request.": "Máy chủ chưa xử lý được yêu cầu.",
    "The service is briefly unavailable; try again.": "Dịch vụ tạm gián đoạn; vui lòng thử lại.",
    "Missing data for required field.": "Trường này là bắt buộc.",
    "Field may not be null.": "Trường này là bắt buộc.",
    "Unknown field.": "Trường không hợp lệ.",
    "Not a valid string.": "Giá trị phải là chuỗi ký tự.",
    "Not a valid integer.": "Giá trị phải là số nguyên.",
    "Not a valid number.": "Giá trị phải là số.",
    "Not a valid boolean.": "Giá trị phải là có hoặc không.",
    "Not a valid UUID.": "Mã không hợp lệ.",
    "Not a valid date.": "Ngày không hợp lệ.",
    "Not a valid datetime.": "Thời điểm không hợp lệ.",
    "Not a valid mapping type.": "Giá trị không đúng dạng.",
    "Not a valid list.": "Giá trị phải là danh sách.",
    "Invalid input type.": "Kiểu dữ liệu không hợp lệ.",
    "Invalid input.": "Dữ liệu không hợp lệ.",
    "Invalid value.": "Giá trị không hợp lệ.",
    "Must be one of: {}.": "Phải là một trong: {}.",
    "Shorter than minimum length {}.": "Cần ít nhất {} ký tự.",
    "Longer than maximum length {}.": "Không được quá {} ký tự.",
    "Length must be between {} and {}.": "Độ dài phải từ {} đến {} ký tự.",
    "Must be greater than or equal to {}.": "Phải từ {} trở lên.",
    "Must be less than or equal to {}.": "Không được lớn hơn {}.",
    "Must be greater than or equal to {} and less than or equal to {}.":
        "Phải từ {} đến {}.",
    "String does not match expected pattern.": "Giá trị không đúng định dạng.",
    "Invalid JSON body.": "Dữ liệu JSON không hợp lệ.",
    "The browser (or proxy) sent a request that this server could not understand.":
        "Yêu cầu không hợp lệ.",
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again.": "Không tìm thấy địa chỉ này.",
    "The method is not allowed for the requested URL.": "Phương thức không được phép.",
    "The data value transmitted exceeds the capacity limit.": "Dữ liệu gửi lên quá lớn.",
}

_FIELD = re.compile(r"\\\{\\\}")


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """The texts with placeholders, as regular expressions (longest first: most specific)."""
    out = []
    for english, vietnamese in sorted(VI.items(), key=lambda kv: -len(kv[0])):
        if "{}" in english:
            out.append((re.compile("^" + _FIELD.sub("(.+?)", re.escape(english)) + "$", re.S),
                        vietnamese))
    return out


def translate(text: str, lang: str) -> str:
    """The text in `lang` (vi or en); a text not in the catalogue comes back as it is."""
    if lang != "vi" or not isinstance(text, str):
        return text
    if text in VI:
        return VI[text]
    for pattern, vietnamese in _patterns():
        m = pattern.match(text)
        if m:
            pieces = vietnamese.split("{}")
            return "".join(p + v for p, v in zip(pieces, [*m.groups(), ""], strict=False))
    return text


def localise_problem(body: dict[str, Any], lang: str) -> dict[str, Any]:
    """A problem body with its title, detail and field messages in `lang`."""
    if lang != "vi":
        return body
    out = dict(body)
    for key in ("title", "detail"):
        if isinstance(out.get(key), str):
            out[key] = translate(out[key], lang)
    if "errors" in out:
        out["errors"] = _localise_errors(out["errors"], lang)
    return out


def _localise_errors(errors: Any, lang: str) -> Any:
    if isinstance(errors, str):
        return translate(errors, lang)
    if isinstance(errors, list):
        return [_localise_errors(e, lang) for e in errors]
    if isinstance(errors, dict):
        return {k: _localise_errors(v, lang) for k, v in errors.items()}
    return errors
