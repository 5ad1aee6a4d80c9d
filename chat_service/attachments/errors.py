"""The attachment failures: one small ChatError subclass each (rendered by the middleware)."""

from __future__ import annotations

from chat_service.errors import ChatError, NotFound


class BadUpload(ChatError):
    code = "bad_upload"
    http_status = 400
    default_message = (
        "send multipart/form-data with exactly one `file` part and an optional "
        "`conversation_id` field"
    )


class TooLarge(ChatError):
    code = "too_large"
    http_status = 413
    default_message = "the file is larger than allowed for its type"


class UploadQuotaExceeded(ChatError):
    code = "upload_quota_exceeded"
    http_status = 429
    default_message = "you have uploaded as much as a day allows: try again tomorrow (UTC)"


class TypeNotAllowed(ChatError):
    code = "type_not_allowed"
    http_status = 415
    default_message = "this type of file is not accepted"


class TypeMismatch(ChatError):
    code = "type_mismatch"
    http_status = 415
    default_message = "the file's bytes do not match its declared type or extension"


class Polyglot(ChatError):
    code = "polyglot"
    http_status = 415
    default_message = "the file also carries another format's content"


class EmptyFile(ChatError):
    code = "empty_file"
    http_status = 422
    default_message = "the file is empty"


class Unreadable(ChatError):
    code = "unreadable_file"
    http_status = 422
    default_message = "the file is truncated or corrupt and cannot be safely parsed"


class ImageTooLarge(ChatError):
    code = "image_too_large"
    http_status = 422
    default_message = "the picture has more pixels than allowed"


class AnimatedImage(ChatError):
    code = "animated_image"
    http_status = 422
    default_message = "animated pictures are not accepted"


class PdfEncrypted(ChatError):
    code = "pdf_encrypted"
    http_status = 422
    default_message = "encrypted PDFs are not accepted"


class PdfActiveContent(ChatError):
    code = "pdf_active_content"
    http_status = 422
    default_message = "PDFs with scripts, actions, embedded files or forms are not accepted"


class TooManyPages(ChatError):
    code = "too_many_pages"
    http_status = 422
    default_message = "the PDF has more pages than allowed"


class NotText(ChatError):
    code = "not_plain_text"
    http_status = 415
    default_message = "a text file must be UTF-8 without binary control characters"


class AttachmentNotFound(NotFound):
    code = "attachment_not_found"
    default_message = "no such attachment for this caller"


class AttachmentHeld(ChatError):
    code = "held_for_review"
    http_status = 423
    default_message = "the attachment is held for review"


class AttachmentWithheld(ChatError):
    code = "withheld_pending_consent"
    http_status = 403
    default_message = "the attachment holds sensitive information the customer has not shared"


class AttachmentGone(ChatError):
    code = "attachment_gone"
    http_status = 410
    default_message = "the attachment was destroyed"
