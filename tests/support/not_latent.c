/* A shared library that is not liblatent: it has one function of its API and
 * lacks the rest, so loading it must fail naming the first missing symbol. */
const char *lt_strerror(int code);
const char *lt_strerror(int code)
{
    (void)code;
    return "not liblatent";
}
