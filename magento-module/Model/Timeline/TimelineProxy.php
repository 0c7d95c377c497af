<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Model\Timeline;

use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\ServiceUnavailableException;

/**
 * The timeline component's data source behind Controller/Adminhtml/Timeline/Data: request parameters
 * (view=jobs with first, after, search, jobCodes[] for a page of jobs; from, to, jobCodes[], view,
 * resolutionSeconds for their runs) in, Queries::TIMELINE_JOBS, Queries::TIMELINE or
 * Queries::TIMELINE_SPANS (TimelineRequest picks) run with the client's minted token, an answer in
 * GraphQL's shape out ({data} or {errors: [{message, extensions: {code}}]}) with the HTTP status to send.
 * Only these three queries are ever sent: the browser chooses the page, the window, the jobs and the
 * view, not the operation.
 * Plain PHP, so the browser test serves it on its standalone page exactly as Magento does.
 */
class TimelineProxy
{
    public function __construct(private readonly ServiceClientInterface $client)
    {
    }

    /**
     * @param array<string, mixed> $params
     * @return array{status: int, body: array<string, mixed>}
     */
    public function answer(array $params): array
    {
        try {
            $query = TimelineRequest::query($params);
            $variables = TimelineRequest::variables($params);
        } catch (\InvalidArgumentException $e) {
            return self::error(400, $e->getMessage(), 'BAD_USER_INPUT');
        }
        try {
            return ['status' => 200, 'body' => ['data' => $this->client->execute($query, $variables)]];
        } catch (ServiceUnavailableException $e) {
            return self::error(503, $e->getMessage(), 'SERVICE_UNAVAILABLE');
        } catch (GraphQlException $e) {
            return self::error(200, $e->getMessage(), $e->getErrorCode());
        }
    }

    /**
     * @return array{status: int, body: array{errors: list<array{message: string, extensions: array{code: ?string}}>}}
     */
    private static function error(int $status, string $message, ?string $code): array
    {
        return ['status' => $status, 'body' => ['errors' => [['message' => $message, 'extensions' => ['code' => $code]]]]];
    }
}
