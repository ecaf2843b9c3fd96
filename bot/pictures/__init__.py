"""Reading pictures residents send: the text of a screenshot and its QR codes.

`reader.PictureReader` implements `handlers.reading.ReadPicture`: `decode` opens the
bytes within firm limits, `qr` decodes QR codes (VietQR transfers become an account and a
bank), `prepare` readies the picture for OCR, `ocr` reads it with Tesseract and puts the
lines of chat bubbles in reading order without the phone's status bar and app chrome.
"""
