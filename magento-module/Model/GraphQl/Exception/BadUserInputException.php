<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\GraphQl\Exception;

/**
 * The service refused the input (`BAD_USER_INPUT`); the message names the field and the reason
 * ("timeoutSeconds: must not be negative"). getField() returns that field: from `extensions.field`
 * when the service sends it, else from the "<field>: " prefix the service puts on the message.
 */
class BadUserInputException extends GraphQlException
{
    public function getField(): ?string
    {
        foreach ($this->getErrors() as $error) {
            $field = $error['extensions']['field'] ?? null;
            if (is_string($field) && $field !== '') {
                return $field;
            }
        }
        foreach ($this->getErrors() as $error) {
            $message = $error['message'] ?? '';
            if (is_string($message) && preg_match('/^([A-Za-z_][\w.\[\]]*): /', $message, $match)) {
                return $match[1];
            }
        }
        return null;
    }
}
