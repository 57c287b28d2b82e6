"""Text-normalization rules, one module per category. ``frontend.normalize`` chains them in a fixed order.

Every rule module exposes pure ``str -> str`` functions built from linear-time regular expressions (no nested
quantifiers), so normalization stays linear in the input length.

Reading conventions (each module documents its own in detail):
- 两 vs 二: an exact 2 before a counter or unit is 两 (两个, 两年后, 两公里, 两点); a leading 二 before 百/千/万/亿 is 两
  (两百, 两万五千); everything else keeps 二 (第二, 十二, 二月二日, 二年级, 二两, 一万二千, math and ordinals).
- Years, phone numbers, IDs and codes are read digit by digit; 幺 for 1 only in mobile and service numbers and after
  电话/手机/拨打/尾号-like words (tn.phone); years, IPs, IDs, landlines use 一.
- Punctuation is kept: ASCII ,.!?;:() next to Chinese becomes ，。！？；：（）; quotes and 、 are untouched.
- Latin letters stay ASCII for the G2P stage (lower-case acronyms inside Chinese are upper-cased: nba -> NBA);
  B2B/O2O read "B to B"; emoji and other symbols are dropped (a pause ， if they separated two words); control and
  format characters are dropped; traditional characters become simplified (script only, no regional word swaps).
- Every ASCII digit is verbalized: a last rule reads any digit left over one by one.
"""
